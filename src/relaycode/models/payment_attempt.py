from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

# payments/attempts.py holds the rules; these are the values a row may hold.
ATTEMPT_STATUSES = (
    "pending",  # made; the buyer has not paid (or must act: 3-D Secure, a QR code to scan)
    "processing",  # the provider is still deciding
    "succeeded",
    "failed",  # the last try failed; the buyer may try again on the same attempt
    "canceled",
    "partially_refunded",
    "refunded",
)
PURPOSES = ("order", "topup", "shop_payment")


class PaymentAttempt(Base):
    """One payment asked of a provider: a Stripe PaymentIntent, a WeChat Pay out_trade_no.

    ``id`` is ours (``pa_…``), made from the provider and the idempotency key, so a retried
    start finds the same row, and it is what the provider keeps as our reference (Stripe
    metadata, the out_trade_no of WeChat Pay and Alipay). ``provider_ref`` is theirs.
    """

    __tablename__ = "payment_attempts"
    __table_args__ = (
        UniqueConstraint("provider", "idempotency_key"),
        Index("ix_payment_attempts_subject", "purpose", "subject_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(255), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64))
    merchant_id: Mapped[int | None] = mapped_column(
        ForeignKey("merchants.id", ondelete="RESTRICT"), index=True
    )
    payer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(24), default="pending")
    failure_code: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PaymentRefund(Base):
    """One refund asked of a provider; ``id`` (``pr_…``) is our out_refund_no."""

    __tablename__ = "payment_refunds"
    __table_args__ = (UniqueConstraint("attempt_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    attempt_id: Mapped[str] = mapped_column(
        ForeignKey("payment_attempts.id", ondelete="CASCADE"), index=True
    )
    provider_ref: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

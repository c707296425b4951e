from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class PaymentCode(Base):
    """A shop's printed payment code (Fig. 11): a format-1 code of kind ``payment`` that
    names the payee merchant, its currency and the methods it accepts; no amount (the
    payer enters it) and nothing of any person."""

    __tablename__ = "payment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), index=True
    )
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"), unique=True)
    label: Mapped[str | None] = mapped_column(String(100))  # "till 2", shown to the payer
    currency: Mapped[str] = mapped_column(String(3))
    methods: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShopPayment(Base):
    """One payment through a payment code, and the receipt credential it earned.

    Made once per (payer, Idempotency-Key): inserted ``ON CONFLICT DO NOTHING`` before
    the provider is asked, so concurrent retries find one row; ``request_hash`` tells a
    retry from another payment under the same key."""

    __tablename__ = "shop_payments"
    __table_args__ = (
        UniqueConstraint("payer_user_id", "idempotency_key"),
        Index("ix_shop_payments_payer_list", "payer_user_id", "created_at", "id"),
        Index("ix_shop_payments_merchant_list", "merchant_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_code_id: Mapped[int] = mapped_column(
        ForeignKey("payment_codes.id", ondelete="RESTRICT"), index=True
    )
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="RESTRICT"))
    payer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | paid
    attempt_id: Mapped[str | None] = mapped_column(String(32))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

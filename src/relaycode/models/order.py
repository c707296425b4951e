from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

# orders/service.py holds the transitions; these are the values a row may hold.
#   pending -> paid -> fulfilled; pending -> cancelled;
#   paid|fulfilled -> partially_refunded -> refunded (amount_refunded_minor says how much).
ORDER_STATUSES = (
    "pending",
    "paid",
    "fulfilled",
    "partially_refunded",
    "refunded",
    "cancelled",
)
BIND_MODES = ("last_touch", "first_touch")


class Order(Base):
    """A purchase made through a code (Fig. 15, S650-S685).

    ``code_id`` is the code the buyer came through; ``attributed_code_id`` the share that
    is credited after the attribution window and bind mode were applied (it may differ:
    first touch credits an earlier share the buyer scanned). ``referrer_chain`` is the
    chain of referrers resolved at that moment, nearest first, as
    ``[{"user_id": ..., "code_id": ..., "device_id": ...}]`` so later edits of the lineage
    or the rules never change what an old order pays.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("buyer_user_id", "idempotency_key"),
        Index("ix_orders_merchant_list", "merchant_id", "created_at", "id"),
        Index("ix_orders_buyer_list", "buyer_user_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="RESTRICT"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="RESTRICT"), index=True)
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    buyer_device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL")
    )
    code_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), index=True)
    attributed_code_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), index=True)
    bind_mode: Mapped[str] = mapped_column(String(16), default="last_touch")
    referrer_chain: Mapped[list[Any]] = mapped_column(JSON, default=list)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    amount_refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(32))
    payment_attempt_id: Mapped[str | None] = mapped_column(
        ForeignKey("payment_attempts.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(24), default="pending")
    # Physical goods only: {"name", "phone", "line1", "city", "postcode", "country"}.
    # Personal data lives here, on the order, never in a code.
    delivery_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    # sha256 of the canonical request body: the same key with another body is a 422.
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OrderRefund(Base):
    """One refund of an order (full or partial), made once per idempotency key."""

    __tablename__ = "order_refunds"
    __table_args__ = (UniqueConstraint("order_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(200))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    payment_refund_id: Mapped[str | None] = mapped_column(
        ForeignKey("payment_refunds.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

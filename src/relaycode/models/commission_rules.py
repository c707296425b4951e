from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class _RuleColumns:
    """One set of commission rules (referrals/commission_math.CommissionRules).

    ``levels`` is a JSON list, level 1 first, of ``{"percent_bp": int, "fixed_minor": int}``,
    checked by referrals/commission_checks.py before it is written. Amounts (fixed, cap,
    minimum order) are minor units of ``currency``."""

    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    levels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    max_depth: Mapped[int] = mapped_column(Integer, default=1)
    cap_minor: Mapped[int | None] = mapped_column(BigInteger)
    min_order_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    first_purchase_only: Mapped[bool] = mapped_column(Boolean, default=False)
    window_days: Mapped[int] = mapped_column(Integer, default=30)
    bind_mode: Mapped[str] = mapped_column(String(16), default="last_touch")
    hold_days: Mapped[int] = mapped_column(Integer, default=7)
    platform_percent_bp: Mapped[int] = mapped_column(Integer, default=0)
    platform_fixed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MerchantCommissionRules(_RuleColumns, Base):
    """A merchant's default commission rules, for every offer without its own."""

    __tablename__ = "merchant_commission_rules"

    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True
    )


class OfferCommissionRules(_RuleColumns, Base):
    """An offer's own commission rules. Going back to the merchant's default keeps the
    row with ``overriding`` false, so its version keeps counting (If-Match stays safe)."""

    __tablename__ = "offer_commission_rules"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), index=True
    )
    overriding: Mapped[bool] = mapped_column(Boolean, default=True)

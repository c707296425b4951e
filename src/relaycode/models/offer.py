from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

OFFER_STATUSES = ("active", "paused", "archived")
# "combine": the combining game of [0187]–[0190] (games/, docs/games.md).
OFFER_KINDS = ("standard", "combine")


class Offer(Base):
    """Service information (Fig. 6): what a code stands for."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    image_path: Mapped[str | None] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(64))
    # Normalised to 14 digits (GTIN-14) so EAN-8/UPC-A/EAN-13 scans all match.
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    category: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    price_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    sales_channel: Mapped[str | None] = mapped_column(String(100))
    payment_methods: Mapped[list[Any]] = mapped_column(JSON, default=list)
    payee_account: Mapped[str | None] = mapped_column(String(120))
    web_link: Mapped[str | None] = mapped_column(String(2000))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="active")
    kind: Mapped[str] = mapped_column(String(16), default="standard", server_default="standard")
    # A "combine" offer's game: attributes and recipes (games/schemas.GameIn, validated
    # before it is stored); None for a standard offer.
    game: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

# active -> endorsed (a newer generation took over) | revoked (by the issuer)
#        -> exhausted (no use or balance left); "expired" is read off valid_until.
CREDENTIAL_STATUSES = ("active", "endorsed", "revoked", "exhausted", "expired")


class Credential(Base):
    """Code 62 (and 63, ... after endorsements): a holder's credential for an item.

    ``id`` is 16 random bytes in hex, the future CWT ``cti``; it names no person. A
    credential endorsed to a phone number nobody has registered yet has no
    ``holder_user_id`` until that number is verified (``holder_phone``).
    """

    __tablename__ = "credentials"
    __table_args__ = (
        Index("ix_credentials_holder_list", "holder_user_id", "created_at", "id"),
        Index("ix_credentials_phone", "holder_phone", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("credential_templates.id", ondelete="RESTRICT"), index=True
    )
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="RESTRICT"), index=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("credential_items.id", ondelete="RESTRICT"), index=True
    )
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"), unique=True)
    holder_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    holder_phone: Mapped[str | None] = mapped_column(String(20))
    # The device the holder claimed or received it on, when they had one registered.
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    generation: Mapped[int] = mapped_column(SmallInteger, default=0)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    uses_left: Mapped[int | None] = mapped_column(Integer)  # single / count modes
    balance_minor: Mapped[int | None] = mapped_column(BigInteger)  # balance mode
    currency: Mapped[str | None] = mapped_column(String(3))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

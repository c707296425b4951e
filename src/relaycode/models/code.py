from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

# "credential_item": a printed item to claim (code 61 of Figs. 7-9); "credential": the
# holder's credential (62), shown to verifiers (credentials/).
CODE_KINDS = ("offer", "share", "credential_item", "credential", "receipt", "payment")
CODE_STATUSES = ("active", "revoked", "expired")
# One active server-made share per (parent, sharer): re-sharing returns it (referrals/).
# Phone-made shares (format 2) may be many per sharer, so they are not in the index.
ONE_SHARE_WHERE = text("kind = 'share' AND format_version = 1 AND status = 'active'")


class Code(Base):
    """One generation of a code: lineage is data (parent, holder, depth, channel)."""

    __tablename__ = "codes"
    # An offer's codes, and a holder's, are listed newest first, a page at a time
    # (db/pagination.py).
    __table_args__ = (
        Index("ix_codes_offer_list", "offer_id", "created_at", "id"),
        Index("ix_codes_holder_list", "holder_user_id", "created_at", "id"),
        Index(
            "uq_codes_one_share",
            "parent_id",
            "holder_user_id",
            unique=True,
            sqlite_where=ONE_SHARE_WHERE,
            postgresql_where=ONE_SHARE_WHERE,
        ),
    )

    # 32 lower-case hex chars of the 16-byte random id carried inside the token.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="offer")
    offer_id: Mapped[int | None] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), index=True)
    holder_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The device a share was made on (self-referral checks compare devices, not only users).
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), index=True
    )
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    channel: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    key_id: Mapped[int] = mapped_column(Integer)
    format_version: Mapped[int] = mapped_column(SmallInteger, default=1)
    # Format 2 (made on a phone, docs/code-format.md): the counter inside its text. With
    # parent_id, device_id and key_id it is all the text is made of, so the text can be
    # written out again (format 1 needs only the id and key_id).
    share_counter: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class InboxItem(Base):
    """One notification in a user's inbox (notify/inbox.py): what happened, as data.

    The text shown is rendered from ``kind`` and ``data`` in the reader's language when it
    is read (notify/kinds.py), so an item written once reads in English and in Chinese.
    Its id orders the inbox and is the ``id:`` of the live event that carried it, so a
    page that reconnects with ``Last-Event-ID`` gets exactly what it missed.
    """

    __tablename__ = "inbox_items"
    __table_args__ = (
        # Idempotent notifications: one item per (user, dedupe key).
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_inbox_items_user_id_id", "user_id", "id"),
        Index("ix_inbox_items_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

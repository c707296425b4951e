from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class ScanEvent(Base):
    """One scan or link open, for analytics. Stores no scanned text beyond a foreign host."""

    __tablename__ = "scan_events"
    # Analytics read one code's (or an offer's codes') events over a period
    # (analytics/repository.py): the code, then the time.
    __table_args__ = (Index("ix_scan_events_code_time", "code_id", "created_at"),)

    # BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER primary key.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    code_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    foreign_host: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(16), default="api")
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # A link-preview bot or crawler (referrals/bots.py): kept, but never counted as a scan.
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Scanned by a member of the merchant whose offer the code stands for.
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow


class ProviderEvent(Base):
    """A notification from a payment provider, stored once by its id before it is acted on.

    The unique (provider, event_id) makes a replayed or concurrently re-delivered event
    find its row taken; ``processed_at`` says it was acted on (payments/events.py).
    """

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(100))
    # What it means in our words (succeeded, failed, canceled, refunded, ...); None: ignored.
    kind: Mapped[str | None] = mapped_column(String(24))
    provider_ref: Mapped[str | None] = mapped_column(String(255), index=True)
    attempt_id: Mapped[str | None] = mapped_column(
        ForeignKey("payment_attempts.id", ondelete="SET NULL"), index=True
    )
    payload: Mapped[str] = mapped_column(Text)  # the body as received (it was verified)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(32))  # applied, ignored, stale, ...
    last_error: Mapped[str | None] = mapped_column(String(500))

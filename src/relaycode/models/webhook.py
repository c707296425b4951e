from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from relaycode.db.base import Base, UTCDateTime, utcnow

_BIGINT = BigInteger().with_variant(Integer(), "sqlite")


class WebhookEndpoint(Base):
    """A merchant's URL that receives the events it subscribed to (docs/webhooks.md).

    The signing secret must be kept to sign each message (Standard Webhooks is HMAC),
    so it is stored; it is shown to the owner only when made or rotated. After a
    rotation the previous secret also signs until ``previous_expires_at``.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    # Space-separated event types from notify/events.py.
    events: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(String(80))
    previous_secret: Mapped[str | None] = mapped_column(String(80))
    previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """The transactional outbox: one message for one endpoint, written in the same
    transaction as the change it reports, then delivered by a worker (notify/worker.py).

    ``event_id`` is the message's ``webhook-id``: the same on every attempt and on a
    replay (``replay`` counts them; 0 is the original), so receivers dedupe on it.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", "replay"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    replay: Mapped[int] = mapped_column(SmallInteger, default=0)
    # The exact JSON body sent (and signed) on every attempt.
    payload: Mapped[str] = mapped_column(Text)
    # pending -> succeeded | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by the worker that claimed it; its report counts only while this matches.
    claim: Mapped[str | None] = mapped_column(String(32))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookAttempt(Base):
    """One try at delivering: the answer's status and the start of its body, or why none."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

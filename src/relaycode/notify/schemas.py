"""What the notification routes take and give: inbox items, webhooks, deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from relaycode.db.pagination import MAX_LIMIT
from relaycode.lists import ListOut
from relaycode.models import InboxItem, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from relaycode.notify.kinds import render


class InboxItemOut(BaseModel):
    id: int = Field(description="Also the `id:` of the live event that carried it")
    kind: str = Field(description="payment_succeeded, commission_earned, order_new, …")
    title: str = Field(description="In the language asked for (`?lang=` or Accept-Language)")
    body: str
    url: str | None = Field(description="A path of this site to open, if any")
    data: dict[str, Any] = Field(description="The facts the text was made from")
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, item: InboxItem, lang: str, locale: str | None = None) -> InboxItemOut:
        text = render(item.kind, item.data, lang, locale)
        return cls(
            id=item.id,
            kind=item.kind,
            title=text.title,
            body=text.body,
            url=text.url,
            data=item.data,
            created_at=item.created_at,
            read=item.read_at is not None,
        )


class InboxPage(ListOut[InboxItemOut]):
    unread: int = Field(description="Unread items in the whole inbox")


class ReadIn(BaseModel):
    ids: list[int] = Field(default_factory=list, max_length=MAX_LIMIT)
    all: bool = Field(default=False, description="Mark every item read (`ids` ignored)")


class ReadOut(BaseModel):
    marked: int
    unread: int


class TestNotificationIn(BaseModel):
    message: str = Field(default="", max_length=200)


class WebhookIn(BaseModel):
    url: str = Field(min_length=1, max_length=2048, description="http:// or https://")
    events: list[str] = Field(min_length=1, max_length=50, description="From the catalogue")


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: datetime
    secret: str | None = Field(
        default=None, description="`whsec_…`: in the answer that made it only (or a rotation)"
    )

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, secret: str | None = None) -> WebhookOut:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=endpoint.events.split(),
            created_at=endpoint.created_at,
            secret=secret,
        )


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_id: str = Field(description="The `webhook-id` header: the same on a replay")
    event_type: str
    replay: int = Field(description="0 for the original, then 1, 2, … for replays")
    status: str = Field(description="pending, succeeded or failed")
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    payload: str
    recent_attempts: list[AttemptOut] = Field(default_factory=list)

    @classmethod
    def of(cls, d: WebhookDelivery, attempts: list[WebhookAttempt] | None = None) -> DeliveryOut:
        return cls(
            id=d.id,
            webhook_id=d.endpoint_id,
            event_id=d.event_id,
            event_type=d.event_type,
            replay=d.replay,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            last_status=d.last_status,
            last_error=d.last_error,
            created_at=d.created_at,
            payload=d.payload,
            recent_attempts=[
                AttemptOut(
                    attempted_at=a.attempted_at,
                    status_code=a.status_code,
                    response_excerpt=a.response_excerpt,
                    error=a.error,
                    duration_ms=a.duration_ms,
                )
                for a in (attempts or [])[:5]
            ],
        )


class TestEventOut(BaseModel):
    event_id: str
    deliveries: int

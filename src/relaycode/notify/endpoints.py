"""HTTP for notifications: the inbox, its live stream, merchants' webhooks (thin)."""

# No ``from __future__ import annotations``: FastAPI reads the dependency closures'
# signatures at runtime.

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from relaycode.db.base import is_db_id
from relaycode.deps import DbDep, NoStore, ReadDbDep, StateDep, get_db, get_read_db
from relaycode.errors import NotFound, Unauthorized
from relaycode.identity.auth import Principal, PrincipalDep, UserDep, get_principal
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants.service import OWNERS, authorize
from relaycode.models import Merchant
from relaycode.notify import inbox, webhooks
from relaycode.notify import repository as repo
from relaycode.notify.runtime import runtime_of
from relaycode.notify.schemas import (
    DeliveryOut,
    InboxItemOut,
    InboxPage,
    ReadIn,
    ReadOut,
    TestEventOut,
    TestNotificationIn,
    WebhookIn,
    WebhookOut,
)
from relaycode.notify.sse import Stream, last_event_id
from relaycode.web import i18n

router = APIRouter(tags=["notifications"])
WEBHOOKS_SCOPE = "webhooks:write"  # no merchant API key has it: owners (and operators)


def _langs(request: Request) -> tuple[str, str]:
    lang = i18n.pick_lang(request)
    return lang, i18n.number_locale(request, lang)


def merchant_by_id(
    roles: tuple[str, ...], scope: str, *, readonly: bool = False
) -> Callable[..., Merchant]:
    """A dependency: the merchant ``{merchant_id}``, for callers with ``roles``/``scope``."""
    session = Depends(get_read_db if readonly else get_db, scope="function")

    def dep(
        merchant_id: int, who: Principal = Depends(get_principal), db: Session = session
    ) -> Merchant:
        merchant = merchant_repo.merchant_by_id(db, merchant_id) if is_db_id(merchant_id) else None
        if merchant is None:
            raise NotFound("no such merchant", code="merchant_not_found")
        authorize(db, who, merchant, roles=roles, scope=scope)
        return merchant

    return dep


WebhookOwner = Annotated[Merchant, Depends(merchant_by_id(OWNERS, WEBHOOKS_SCOPE))]
WebhookReader = Annotated[Merchant, Depends(merchant_by_id(OWNERS, WEBHOOKS_SCOPE, readonly=True))]

# ---- the inbox -----------------------------------------------------------------------


@router.get("/me/inbox")
def my_inbox(
    request: Request,
    user: UserDep,
    db: ReadDbDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> InboxPage:
    """Your notifications, newest first, a page at a time, with the unread count; texts
    in the language asked for (`?lang=`, else Accept-Language)."""
    lang, locale = _langs(request)
    page = repo.inbox_page(db, user.id, cursor=cursor, limit=limit)
    return InboxPage(
        items=[InboxItemOut.of(i, lang, locale) for i in page.items],
        next_cursor=page.next_cursor,
        unread=repo.unread_count(db, user.id),
    )


@router.post("/me/inbox/read")
def mark_read(data: ReadIn, user: UserDep, db: DbDep) -> ReadOut:
    """Mark the items `ids` read, or every item with `{"all": true}`; your other open
    pages get the new unread count live."""
    marked = inbox.mark_read(db, user.id, None if data.all else data.ids)
    return ReadOut(marked=marked, unread=repo.unread_count(db, user.id))


@router.post("/me/inbox/test", status_code=status.HTTP_201_CREATED)
def test_notification(
    request: Request, data: TestNotificationIn, user: UserDep, db: DbDep
) -> InboxItemOut:
    """Send yourself a test notification (to try the inbox and its live updates)."""
    lang, locale = _langs(request)
    item = inbox.notify_user(db, user.id, "test", {"message": data.message, "url": "/inbox"})
    return InboxItemOut.of(item, lang, locale)


@router.get("/me/events", response_class=StreamingResponse)
async def my_events(
    request: Request,
    principal: PrincipalDep,
    state: StateDep,
    last_event_id_header: Annotated[str | None, Header(alias="last-event-id")] = None,
    last_event_id_query: Annotated[str | None, Query(alias="last_event_id", max_length=20)] = None,
) -> StreamingResponse:
    """Your inbox, live: a Server-Sent Events stream (`text/event-stream`) of `hello`,
    `inbox` (each item, its id as the event id), `unread` and `bye` events, with
    heartbeats. Reconnect with `Last-Event-ID` to receive what was missed. At most
    `RELAYCODE_SSE_MAX_PER_USER` streams per account (429 `too_many_streams`)."""
    if principal.user is None:
        raise Unauthorized("sign in first", code="not_signed_in")
    runtime = runtime_of(request.app.state)
    sub = runtime.broker.subscribe(principal.user.id)
    lang, locale = _langs(request)
    s = state.settings
    stream = Stream(
        db=state.db,
        broker=runtime.broker,
        sub=sub,
        user_id=principal.user.id,
        session_id=principal.session.id if principal.session is not None else None,
        lang=lang,
        locale=locale,
        heartbeat=s.sse_heartbeat_seconds,
        max_seconds=s.sse_max_seconds,
    )
    resume = last_event_id(last_event_id_header or last_event_id_query)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        stream.events(resume, request.receive), media_type="text/event-stream", headers=headers
    )


# ---- webhooks ------------------------------------------------------------------------


@router.post(
    "/merchants/{merchant_id}/webhooks",
    status_code=status.HTTP_201_CREATED,
    dependencies=[NoStore],
)
def create_webhook(
    data: WebhookIn, merchant: WebhookOwner, db: DbDep, state: StateDep
) -> WebhookOut:
    """Subscribe a URL to events (owners). The answer holds its signing secret
    (`whsec_…`), shown this once. See docs/webhooks.md for the events and headers."""
    allow = state.settings.webhook_allow_private
    endpoint, secret = webhooks.create_endpoint(
        db, merchant, data.url, data.events, allow_private=allow
    )
    return WebhookOut.of(endpoint, secret)


@router.get("/merchants/{merchant_id}/webhooks")
def list_webhooks(
    merchant: WebhookReader,
    db: ReadDbDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[WebhookOut]:
    """The merchant's webhooks, oldest first (their secrets are never shown again)."""
    page = repo.endpoints_page(db, merchant.id, cursor=cursor, limit=limit)
    return ListOut(items=[WebhookOut.of(e) for e in page.items], next_cursor=page.next_cursor)


@router.delete(
    "/merchants/{merchant_id}/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT
)
def delete_webhook(webhook_id: int, merchant: WebhookOwner, db: DbDep) -> None:
    """Stop sending to a webhook; messages not yet delivered are dropped."""
    webhooks.delete_endpoint(db, merchant, webhook_id)


@router.post("/merchants/{merchant_id}/webhooks/{webhook_id}/rotate-secret", dependencies=[NoStore])
def rotate_secret(webhook_id: int, merchant: WebhookOwner, db: DbDep) -> WebhookOut:
    """A new signing secret, shown this once; for 24 hours messages carry a signature
    with the old one too, so the receiver can switch over."""
    endpoint, secret = webhooks.rotate_secret(db, merchant, webhook_id)
    return WebhookOut.of(endpoint, secret)


@router.post(
    "/merchants/{merchant_id}/webhooks/{webhook_id}/test", status_code=status.HTTP_202_ACCEPTED
)
def send_test_event(webhook_id: int, merchant: WebhookOwner, db: DbDep) -> TestEventOut:
    """Queue a `webhook.test` message to this webhook; see its delivery log."""
    event_id, made = webhooks.send_test(db, merchant, webhook_id)
    return TestEventOut(event_id=event_id, deliveries=len(made))


@router.get("/merchants/{merchant_id}/webhooks/{webhook_id}/deliveries")
def list_deliveries(
    webhook_id: int,
    merchant: WebhookReader,
    db: ReadDbDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[DeliveryOut]:
    """The delivery log of a webhook, newest first, with each one's latest attempts."""
    endpoint = repo.endpoint(db, merchant.id, webhook_id)
    if endpoint is None:
        raise NotFound("no such webhook", code="webhook_not_found")
    page = repo.deliveries_page(db, endpoint.id, cursor=cursor, limit=limit)
    attempts = repo.attempts_of(db, [d.id for d in page.items])
    items = [DeliveryOut.of(d, attempts[d.id]) for d in page.items]
    return ListOut(items=items, next_cursor=page.next_cursor)


@router.post(
    "/merchants/{merchant_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    status_code=status.HTTP_201_CREATED,
)
def replay_delivery(
    webhook_id: int, delivery_id: int, merchant: WebhookOwner, db: DbDep
) -> DeliveryOut:
    """Send a message again, with the same `webhook-id` and body (receivers dedupe)."""
    found = repo.delivery(db, merchant.id, delivery_id)
    if found is None or found.endpoint_id != webhook_id:
        raise NotFound("no such delivery", code="delivery_not_found")
    return DeliveryOut.of(webhooks.replay(db, merchant, delivery_id))

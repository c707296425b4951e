"""Merchants' webhook endpoints, and ``emit``: events into the transactional outbox.

Other domains call ``emit`` where the change happens, in the same transaction::

    emit(db, merchant_id=order.merchant_id, event_type="order.paid",
         data={"order_id": order.id, ...}, event_id=f"order.paid:{order.id}")

It writes one outbox row (``webhook_deliveries``) per endpoint of that merchant
subscribed to the event. Committed with the change, or rolled back with it: no event
for a change that did not happen, no change without its event. A worker delivers the
rows afterwards (notify/worker.py). With an ``event_id`` the call is idempotent per
endpoint: emitting the same id again (a retried transaction, a replayed provider
notification) writes nothing new. The id is the message's ``webhook-id`` header.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.db.txcache import tx_cache
from relaycode.errors import Conflict, InvalidInput, NotFound
from relaycode.models import Merchant, WebhookDelivery, WebhookEndpoint
from relaycode.notify import outbox
from relaycode.notify import repository as repo
from relaycode.notify.events import EVENT_TYPES, TEST_EVENT, unknown_events
from relaycode.notify.ssrf import parse_webhook_url

ENDPOINTS_CACHE = "webhook_endpoints"

MAX_ENDPOINTS = 20  # per merchant
MAX_PAYLOAD_BYTES = 64 * 1024
ROTATION_GRACE = timedelta(hours=24)  # the previous secret also signs this long
SECRET_PREFIX = "whsec_"
_EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_event_id() -> str:
    """``evt_`` + milliseconds (hex, so ids sort by time) + 64 random bits."""
    return f"evt_{int(time.time() * 1000):x}{secrets.token_hex(8)}"


def _events(names: list[str]) -> str:
    bad = unknown_events(names)
    if bad:
        raise InvalidInput(
            "unknown event type: " + ", ".join(bad[:5]),
            code="unknown_event",
            details={"unknown": bad[:20], "known": sorted(EVENT_TYPES)},
        )
    return " ".join(sorted(set(names)))


def _endpoint(db: Session, merchant: Merchant, endpoint_id: int) -> WebhookEndpoint:
    found = repo.endpoint(db, merchant.id, endpoint_id)
    if found is None:
        raise NotFound("no such webhook", code="webhook_not_found")
    return found


def create_endpoint(
    db: Session, merchant: Merchant, url: str, events: list[str], *, allow_private: bool
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned here only)."""
    target = parse_webhook_url(url, allow_private=allow_private)
    subscribed = _events(events)
    get_for_update(db, Merchant, merchant.id)  # the count below holds until commit
    if repo.live_endpoint_count(db, merchant.id) >= MAX_ENDPOINTS:
        raise Conflict(f"a merchant has at most {MAX_ENDPOINTS} webhooks", code="too_many_webhooks")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        merchant_id=merchant.id, url=target.url.href, events=subscribed, secret=secret
    )
    db.add(endpoint)
    db.flush()
    tx_cache(db, ENDPOINTS_CACHE).clear()
    return endpoint, secret


def delete_endpoint(db: Session, merchant: Merchant, endpoint_id: int) -> None:
    """Stop sending to it; its log stays readable, its pending messages are dropped."""
    endpoint = _endpoint(db, merchant, endpoint_id)
    now = utcnow()
    endpoint.deleted_at = now
    tx_cache(db, ENDPOINTS_CACHE).clear()
    db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
        .values(status="failed", last_error="webhook deleted", claim=None)
    )


def rotate_secret(
    db: Session, merchant: Merchant, endpoint_id: int, *, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new secret; messages are signed with both for ``ROTATION_GRACE``, so a receiver
    can switch over without refusing anything in between."""
    endpoint = get_for_update(db, WebhookEndpoint, _endpoint(db, merchant, endpoint_id).id)
    assert endpoint is not None
    now = now or utcnow()
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_expires_at = now + ROTATION_GRACE
    endpoint.secret = secret
    return endpoint, secret


def payload(event_id: str, event_type: str, merchant_id: int, data: dict[str, Any]) -> str:
    """The body every attempt sends: Standard Webhooks' ``type``/``timestamp``/``data``."""
    body = {
        "id": event_id,
        "type": event_type,
        "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
        "merchant_id": merchant_id,
        "data": data,
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"webhook payload larger than {MAX_PAYLOAD_BYTES} bytes")
    return text


def _insert_once(db: Session, values: dict[str, Any]) -> int | None:
    dialect = db.get_bind().dialect
    insert = pg_insert if dialect.name == "postgresql" else sqlite_insert
    table = cast(Table, WebhookDelivery.__table__)
    stmt = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id", "replay"])
    )
    row = db.execute(stmt.returning(table.c.id)).first()
    return int(row[0]) if row is not None else None


def _subscriptions(db: Session, merchant_id: int) -> list[tuple[int, frozenset[str]]]:
    """The merchant's live endpoints and their events, read once per transaction (a
    checkout emits several events; the endpoint functions above clear it)."""
    known = tx_cache(db, ENDPOINTS_CACHE)
    subs: list[tuple[int, frozenset[str]]] | None = known.get(merchant_id)
    if subs is None:
        endpoints = repo.live_endpoints(db, merchant_id)
        subs = known[merchant_id] = [(e.id, frozenset(e.events.split())) for e in endpoints]
    return subs


def emit(
    db: Session,
    *,
    merchant_id: int,
    event_type: str,
    data: dict[str, Any],
    event_id: str | None = None,
    endpoint_ids: list[int] | None = None,
) -> list[int]:
    """Queue ``event_type`` for each of the merchant's endpoints subscribed to it (or the
    ones in ``endpoint_ids``), in the caller's transaction. Returns the new deliveries' ids
    (none for an endpoint that already has this ``event_id``)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}; add it to notify/events.py")
    if event_id is not None and not _EVENT_ID.match(event_id):
        raise ValueError("event_id: 1 to 64 of A-Z a-z 0-9 _ . : -")
    event_id = event_id or new_event_id()
    body = payload(event_id, event_type, merchant_id, data)
    made: list[int] = []
    for endpoint_id, events in _subscriptions(db, merchant_id):
        chosen = endpoint_id in endpoint_ids if endpoint_ids is not None else True
        if not chosen or event_type not in events:
            continue
        new_id = _insert_once(db, {
            "endpoint_id": endpoint_id, "merchant_id": merchant_id, "event_id": event_id,
            "event_type": event_type, "replay": 0, "payload": body, "status": "pending",
            "attempts": 0, "next_attempt_at": utcnow(), "created_at": utcnow(),
        })  # fmt: skip
        if new_id is not None:
            made.append(new_id)
    if made:
        outbox.wake_worker_after_commit(db)
    return made


def send_test(db: Session, merchant: Merchant, endpoint_id: int) -> tuple[str, list[int]]:
    """A ``webhook.test`` message to one endpoint, whatever it subscribed to."""
    endpoint = _endpoint(db, merchant, endpoint_id)
    event_id = new_event_id()
    body = payload(event_id, TEST_EVENT, merchant.id, {"message": "relaycode test event"})
    new_id = _insert_once(db, {
        "endpoint_id": endpoint.id, "merchant_id": merchant.id, "event_id": event_id,
        "event_type": TEST_EVENT, "replay": 0, "payload": body, "status": "pending",
        "attempts": 0, "next_attempt_at": utcnow(), "created_at": utcnow(),
    })  # fmt: skip
    outbox.wake_worker_after_commit(db)
    return event_id, [new_id] if new_id is not None else []


def replay(db: Session, merchant: Merchant, delivery_id: int) -> WebhookDelivery:
    """Send a delivered (or failed) message again: a new delivery with the same
    ``webhook-id`` and body, so a receiver that dedupes changes nothing."""
    original = repo.delivery(db, merchant.id, delivery_id)
    if original is None:
        raise NotFound("no such delivery", code="delivery_not_found")
    endpoint = get_for_update(db, WebhookEndpoint, original.endpoint_id)  # replays queue
    if endpoint is None or endpoint.deleted_at is not None:
        raise Conflict("that webhook was deleted", code="webhook_deleted")
    copy = WebhookDelivery(
        endpoint_id=original.endpoint_id,
        merchant_id=original.merchant_id,
        event_id=original.event_id,
        event_type=original.event_type,
        replay=repo.last_replay(db, original.endpoint_id, original.event_id) + 1,
        payload=original.payload,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.add(copy)
    db.flush()
    outbox.wake_worker_after_commit(db)
    return copy

"""Queries for inboxes and webhooks (the outbox's claim and report are in outbox.py)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaycode.db.base import is_db_id, utcnow
from relaycode.db.pagination import Order, Page, paginate
from relaycode.models import (
    InboxItem,
    Membership,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

INBOX_ORDER = Order("inbox", (InboxItem.id,), (int,), descending=True)
ENDPOINT_ORDER = Order("webhooks", (WebhookEndpoint.id,), (int,))
DELIVERY_ORDER = Order("deliveries", (WebhookDelivery.id,), (int,), descending=True)

# ---- inbox ---------------------------------------------------------------------------


def insert_item_once(db: Session, values: dict[str, Any]) -> InboxItem | None:
    """INSERT … ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING the new item, or
    None when an item with that key is already there (or a concurrent transaction just
    made it). One statement: the usual case, a new item, needs no lookup first."""
    dialect = db.get_bind().dialect
    insert = pg_insert if dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(InboxItem)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
        .returning(InboxItem)
    )
    return db.scalars(stmt).first()


def item_by_key(db: Session, user_id: int, dedupe_key: str) -> InboxItem | None:
    return db.scalar(
        select(InboxItem).where(InboxItem.user_id == user_id, InboxItem.dedupe_key == dedupe_key)
    )


def inbox_page(db: Session, user_id: int, *, cursor: str | None, limit: int) -> Page[InboxItem]:
    """Newest first."""
    q = select(InboxItem).where(InboxItem.user_id == user_id)
    return paginate(db, q, INBOX_ORDER, cursor=cursor, limit=limit)


def items_after(db: Session, user_id: int, after_id: int, limit: int) -> list[InboxItem]:
    """Oldest first: what a stream that has sent ``after_id`` sends next."""
    q = (
        select(InboxItem)
        .where(InboxItem.user_id == user_id, InboxItem.id > after_id)
        .order_by(InboxItem.id)
        .limit(limit)
    )
    return list(db.scalars(q))


def latest_item_id(db: Session, user_id: int) -> int:
    found = db.scalar(select(func.max(InboxItem.id)).where(InboxItem.user_id == user_id))
    return int(found or 0)


def unread_count(db: Session, user_id: int) -> int:
    q = select(func.count()).where(InboxItem.user_id == user_id, InboxItem.read_at.is_(None))
    return int(db.scalar(q) or 0)


def mark_read(db: Session, user_id: int, ids: list[int] | None) -> int:
    """Mark the user's items ``ids`` (all when None) read; returns how many changed."""
    stmt = update(InboxItem).where(InboxItem.user_id == user_id, InboxItem.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(InboxItem.id.in_([i for i in ids if is_db_id(i)]))
    result = cast(CursorResult[Any], db.execute(stmt.values(read_at=utcnow())))
    return int(result.rowcount or 0)


def staff_user_ids(db: Session, merchant_id: int, roles: tuple[str, ...]) -> list[int]:
    q = select(Membership.user_id).where(
        Membership.merchant_id == merchant_id, Membership.role.in_(roles)
    )
    return sorted(db.scalars(q))


# ---- webhooks ------------------------------------------------------------------------


def endpoint(db: Session, merchant_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    if not is_db_id(endpoint_id):
        return None
    found = db.get(WebhookEndpoint, endpoint_id)
    if found is None or found.merchant_id != merchant_id or found.deleted_at is not None:
        return None
    return found


def endpoints_page(
    db: Session, merchant_id: int, *, cursor: str | None, limit: int
) -> Page[WebhookEndpoint]:
    q = select(WebhookEndpoint).where(
        WebhookEndpoint.merchant_id == merchant_id, WebhookEndpoint.deleted_at.is_(None)
    )
    return paginate(db, q, ENDPOINT_ORDER, cursor=cursor, limit=limit)


def live_endpoints(db: Session, merchant_id: int) -> list[WebhookEndpoint]:
    q = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.merchant_id == merchant_id, WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.id)
    )
    return list(db.scalars(q))


def live_endpoint_count(db: Session, merchant_id: int) -> int:
    q = select(func.count()).where(
        WebhookEndpoint.merchant_id == merchant_id, WebhookEndpoint.deleted_at.is_(None)
    )
    return int(db.scalar(q) or 0)


def delivery(db: Session, merchant_id: int, delivery_id: int) -> WebhookDelivery | None:
    if not is_db_id(delivery_id):
        return None
    found = db.get(WebhookDelivery, delivery_id)
    return found if found is not None and found.merchant_id == merchant_id else None


def deliveries_page(
    db: Session, endpoint_id: int, *, cursor: str | None, limit: int
) -> Page[WebhookDelivery]:
    """Newest first."""
    q = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return paginate(db, q, DELIVERY_ORDER, cursor=cursor, limit=limit)


def delivery_exists(db: Session, endpoint_id: int, event_id: str) -> bool:
    q = select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint_id,
        WebhookDelivery.event_id == event_id,
        WebhookDelivery.replay == 0,
    )
    return db.scalar(q) is not None


def last_replay(db: Session, endpoint_id: int, event_id: str) -> int:
    q = select(func.max(WebhookDelivery.replay)).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.event_id == event_id
    )
    return int(db.scalar(q) or 0)


def attempts_of(db: Session, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    """The attempts of these deliveries, newest first, by delivery."""
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return found
    q = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.id.desc())
    )
    for attempt in db.scalars(q):
        found[attempt.delivery_id].append(attempt)
    return found

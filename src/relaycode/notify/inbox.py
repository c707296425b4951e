"""Each user's persistent inbox: ``notify_user`` writes an item in the caller's
transaction and pushes it live to the user's open pages once that commits.

Other domains call it where the thing happens, in the same transaction::

    notify_user(db, buyer.id, "payment_succeeded",
                {"order_id": order.id, "amount_minor": 1250, "currency": "CNY"},
                dedupe_key=f"payment_succeeded:{order.id}")

With a ``dedupe_key`` the call is idempotent: a retried transaction, a replayed payment
notification or two concurrent deliveries of one event leave one item (per user and
key); the item already there is returned and nothing is pushed twice.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.models import InboxItem
from relaycode.notify import live
from relaycode.notify import repository as repo
from relaycode.notify.kinds import INBOX_KINDS

MAX_DATA_BYTES = 4096
MAX_DEDUPE_KEY = 128
STAFF_ROLES: tuple[str, ...] = ("owner", "staff")


def _check(kind: str, data: dict[str, Any], dedupe_key: str | None) -> None:
    # Programming errors of the calling domain, not user input: ValueError.
    if kind not in INBOX_KINDS:
        raise ValueError(f"unknown inbox kind {kind!r}; add it to notify/kinds.py")
    if not isinstance(data, dict):
        raise ValueError("inbox data must be a dict")
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_DATA_BYTES:
        raise ValueError(f"inbox data larger than {MAX_DATA_BYTES} bytes")
    if dedupe_key is not None and not 1 <= len(dedupe_key) <= MAX_DEDUPE_KEY:
        raise ValueError(f"dedupe_key must be 1 to {MAX_DEDUPE_KEY} characters")


def notify_user(
    db: Session, user_id: int, kind: str, data: dict[str, Any], *, dedupe_key: str | None = None
) -> InboxItem:
    """Put a ``kind`` item (see notify/kinds.py) in ``user_id``'s inbox; pushed live after
    commit. With ``dedupe_key``, the existing item for that key is returned instead."""
    _check(kind, data, dedupe_key)
    if dedupe_key is not None:
        values = {
            "user_id": user_id,
            "kind": kind,
            "data": data,
            "dedupe_key": dedupe_key,
            "created_at": utcnow(),
        }
        made = repo.insert_item_once(db, values)
        if made is None:  # there already (or a concurrent transaction made it and pushes it)
            existing = repo.item_by_key(db, user_id, dedupe_key)
            assert existing is not None
            return existing
        item = made
    else:
        item = InboxItem(user_id=user_id, kind=kind, data=data, created_at=utcnow())
        db.add(item)
        db.flush()
    live.wake_after_commit(db, user_id)
    return item


def notify_merchant_staff(
    db: Session,
    merchant_id: int,
    kind: str,
    data: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    roles: tuple[str, ...] = STAFF_ROLES,
) -> list[InboxItem]:
    """``notify_user`` for each member of the merchant with one of ``roles`` (a new order
    for its owners and staff); the key dedupes per member."""
    return [
        notify_user(db, uid, kind, data, dedupe_key=dedupe_key)
        for uid in repo.staff_user_ids(db, merchant_id, roles)
    ]


def mark_read(db: Session, user_id: int, ids: list[int] | None) -> int:
    """Mark items read (all when ``ids`` is None); the user's other pages see the new
    unread count live. Returns how many were unread and now are not."""
    changed = repo.mark_read(db, user_id, ids)
    if changed:
        live.wake_after_commit(db, user_id)
    return changed

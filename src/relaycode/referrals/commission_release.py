"""Releasing commissions whose hold is over: pending → available (``release_due``).

Each commission is its own ledger transaction (key ``commission:<id>:release``),
``commissions_pending −x, commissions_available +x`` — or, when the referrer owes
reversed commissions (``commissions_owed`` below zero), that debt is settled first
from ``x``. Rows are claimed ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of
workers (the thread in ``relaycode serve``, ``relaycode worker``, the CLI
``relaycode commissions release``) share the work and never release one twice; a
reversal that holds a commission's row is skipped over and the row taken next round.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.db.locking import ensure_write_lock
from relaycode.models import Commission, Offer, Order
from relaycode.notify.service import emit, notify_user
from relaycode.payments import ledger
from relaycode.referrals.commission_common import (
    credit_available,
    event_data,
    inbox_data,
    lock_user_accounts,
)

KIND_RELEASED = "commission_release"
BATCH = 100


def release_key(commission_id: int) -> str:
    return f"commission:{commission_id}:release"


def _claim(db: Session, now: datetime, limit: int) -> list[Commission]:
    ensure_write_lock(db)
    q = (
        select(Commission)
        .where(
            Commission.status == "pending",
            Commission.beneficiary == "user",
            Commission.available_at <= now,
        )
        .order_by(Commission.available_at, Commission.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list(db.scalars(q))


def release_one(db: Session, c: Commission, now: datetime) -> None:
    """Release ``c`` (locked by the caller, status pending, hold over)."""
    assert c.user_id is not None
    left = c.amount_minor - c.reversed_minor
    if left > 0:
        lock_user_accounts(
            db, c.user_id, c.currency, "commissions_pending", "commissions_available"
        )
        pending = ledger.account(db, "commissions_pending", c.currency, user_id=c.user_id)
        lines = [(pending, -left), *credit_available(db, c.user_id, c.currency, left)]
        ledger.post(
            db,
            kind=KIND_RELEASED,
            lines=lines,
            reference=("commission", c.id),
            idempotency_key=release_key(c.id),
        )
    c.status = "available" if left > 0 else "reversed"
    c.updated_at = now
    db.flush()
    order = db.get(Order, c.order_id)
    if order is None or left <= 0:
        return
    offer = db.get(Offer, order.offer_id)
    notify_user(
        db,
        c.user_id,
        "commission_available",
        inbox_data(c, order, offer.title if offer else "", left),
        dedupe_key=f"commission_available:{c.id}",
    )
    emit(
        db,
        merchant_id=order.merchant_id,
        event_type="commission.available",
        data=event_data(c, order),
        event_id=f"commission.available:{c.id}",
    )


def release_due(db: Session, *, now: datetime, limit: int = BATCH) -> int:
    """Release up to ``limit`` commissions whose hold ended by ``now``; how many were.
    Call again (a new transaction) while it returns ``limit``."""
    claimed = _claim(db, now, limit)
    for c in claimed:
        release_one(db, c, now)
    return len(claimed)

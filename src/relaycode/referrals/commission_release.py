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

from relaycode.db.locking import ensure_write_lock, get_many_for_update
from relaycode.models import Commission, LedgerAccount, Offer, Order
from relaycode.notify.service import emit, notify_user
from relaycode.payments import ledger
from relaycode.referrals.commission_common import (
    credit_available,
    event_data,
    inbox_data,
    user_account_ids,
)

KIND_RELEASED = "commission_release"
BATCH = 100
KINDS_MOVED = ("commissions_pending", "commissions_available")


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


def _lock_accounts(db: Session, claimed: list[Commission]) -> None:
    """Every account the batch moves, locked at once in primary-key order (before any of
    them is posted to): a batch that locked each referrer's accounts in turn would hold
    alice's while waiting for bob's, as another batch does the reverse: a deadlock."""
    owners = sorted({(c.user_id, c.currency) for c in claimed if c.user_id is not None})
    ids: list[int] = []
    for user_id, currency in owners:
        ids += user_account_ids(db, user_id, currency, *KINDS_MOVED)
    get_many_for_update(db, LedgerAccount, ids)


def release_one(db: Session, c: Commission, now: datetime) -> None:
    """Release ``c`` (locked by the caller, status pending, hold over; its referrer's
    accounts locked too, ``_lock_accounts``)."""
    assert c.user_id is not None
    left = c.amount_minor - c.reversed_minor
    if left > 0:
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
    Call again while it returns ``limit``, each time in a new transaction: two
    transactions that each released several batches would hold the accounts of the
    first while locking those of the next, and could deadlock."""
    claimed = _claim(db, now, limit)
    _lock_accounts(db, claimed)
    for c in claimed:
        release_one(db, c, now)
    return len(claimed)

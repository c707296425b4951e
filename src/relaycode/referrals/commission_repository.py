"""Queries for the commission and withdrawal lists (keyset pages, db/pagination.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from relaycode.db.pagination import Order as PageOrder
from relaycode.db.pagination import Page, page_all, paginate
from relaycode.models import Commission, LedgerAccount, Order, User, Withdrawal

# Newest first (the index on (user_id, created_at, id) serves it).
MY_COMMISSIONS = PageOrder(
    "my_commissions", (Commission.created_at, Commission.id), (datetime, int), descending=True
)
MY_WITHDRAWALS = PageOrder(
    "my_withdrawals", (Withdrawal.created_at, Withdrawal.id), (datetime, int), descending=True
)
# Operators work the queue oldest first.
QUEUE = PageOrder("withdrawal_queue", (Withdrawal.created_at, Withdrawal.id), (datetime, int))
BALANCE_KINDS = (
    "commissions_pending",
    "commissions_available",
    "withdrawals_pending",
    "commissions_owed",
)


def my_commissions(
    db: Session, user_id: int, *, status: str | None, cursor: str | None, limit: int
) -> Page[tuple[Commission, int]]:
    """The user's commissions with each one's offer id."""
    q = (
        select(Commission, Order.offer_id)
        .join(Order, Order.id == Commission.order_id)
        .where(Commission.user_id == user_id)
    )
    if status is not None:
        q = q.where(Commission.status == status)
    return paginate(db, q, MY_COMMISSIONS, cursor=cursor, limit=limit)


def my_withdrawals(
    db: Session, user_id: int, *, cursor: str | None, limit: int
) -> Page[Withdrawal]:
    q = select(Withdrawal).where(Withdrawal.user_id == user_id)
    return paginate(db, q, MY_WITHDRAWALS, cursor=cursor, limit=limit)


def _queue(status: str | None) -> Select[Withdrawal, str | None]:
    q = select(Withdrawal, User.username).join(User, User.id == Withdrawal.user_id)
    return q.where(Withdrawal.status == status) if status is not None else q


def withdrawal_queue(
    db: Session, *, status: str | None, cursor: str | None, limit: int
) -> Page[tuple[Withdrawal, str | None]]:
    return paginate(db, _queue(status), QUEUE, cursor=cursor, limit=limit)


def all_withdrawals(db: Session, *, status: str | None) -> Iterator[tuple[Withdrawal, str | None]]:
    """Every withdrawal (of ``status``), oldest first, a page at a time (the CSV)."""
    yield from page_all(db, _queue(status), QUEUE)


def balances(db: Session, user_id: int) -> dict[str, dict[str, int]]:
    """``{currency: {kind: balance}}`` of the user's commission accounts."""
    q = select(LedgerAccount).where(
        LedgerAccount.owner_key == f"user:{user_id}", LedgerAccount.kind.in_(BALANCE_KINDS)
    )
    out: dict[str, dict[str, int]] = {}
    for acct in db.scalars(q.order_by(LedgerAccount.currency)):
        out.setdefault(acct.currency, dict.fromkeys(BALANCE_KINDS, 0))[acct.kind] = (
            acct.balance_minor
        )
    return out

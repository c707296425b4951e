"""Queries of the ledger: a user's wallet accounts and an account's history, paged."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.db.pagination import Order, Page, paginate
from relaycode.models import LedgerAccount, LedgerEntry, LedgerTransaction

# Newest first; the entry id is unique and follows posting order within an account.
HISTORY_ORDER = Order("ledger_history", (LedgerEntry.id,), (int,), descending=True)


def user_accounts(
    db: Session, user_id: int, kind: str = "user_wallet", currency: str | None = None
) -> list[LedgerAccount]:
    """The user's accounts of ``kind`` (one per currency), by currency."""
    q = select(LedgerAccount).where(
        LedgerAccount.kind == kind, LedgerAccount.owner_key == f"user:{user_id}"
    )
    if currency is not None:
        q = q.where(LedgerAccount.currency == currency)
    return list(db.scalars(q.order_by(LedgerAccount.currency)))


def history(
    db: Session, accounts: Sequence[LedgerAccount], *, cursor: str | None, limit: int
) -> Page[tuple[LedgerEntry, LedgerTransaction, LedgerAccount]]:
    """The entries of ``accounts``, newest first, with their transaction and account."""
    ids = [a.id for a in accounts]
    if not ids:
        return Page(items=[], next_cursor=None)
    q = (
        select(LedgerEntry, LedgerTransaction, LedgerAccount)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.account_id.in_(ids))
    )
    return paginate(db, q, HISTORY_ORDER, cursor=cursor, limit=limit)

"""Row locks for lock-then-check-then-do: ``get_for_update`` and ``get_many_for_update``.

A rule that reads and then writes ("the version is still 3", "another owner remains",
"the balance covers it", "not redeemed yet") is only true while nobody else can change
what it read. So:

1. **lock** the rows the rule reads, with these helpers, before reading them;
2. **check** the rule on the values they return (fresh from the database);
3. **do** the write, in the same transaction. The lock is held until it commits.

On PostgreSQL this is ``SELECT … FOR UPDATE``: a second transaction asking for the same
row waits until the first commits, then sees its result. On SQLite the engine has no row
locks; instead every writable transaction starts with ``BEGIN IMMEDIATE`` behind the
process-wide writer gate (``db/engine.py``), so it already holds the database's one write
lock. These helpers make sure of that and refuse to run in a read-only transaction, where
the check would silently be unprotected.

Deadlocks come from two transactions taking the same locks in different orders. Take
several rows of one table with ``get_many_for_update`` (primary-key order, always), and
across tables lock the parent before its children (a merchant before its memberships,
an account before its ledger entries).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from relaycode.db.base import Base

M = TypeVar("M", bound=Base)


class LockingError(RuntimeError):
    """A programming error: a row lock asked for where none can be held."""


def ensure_write_lock(db: Session) -> None:
    """Start the transaction if needed and make sure it may hold row locks.

    On SQLite this means it went through the writer gate (``BEGIN IMMEDIATE``); a
    read-only session (``ReadDbDep``) or an engine built elsewhere cannot lock.
    """
    conn = db.connection()  # begins the transaction: BEGIN IMMEDIATE on SQLite
    if conn.dialect.name != "sqlite":
        return
    if conn.get_execution_options().get("readonly"):
        raise LockingError("row locks need a writable transaction, not a read-only one")
    if not conn.info.get("rc_gate"):
        raise LockingError("this SQLite connection did not BEGIN IMMEDIATE (use make_engine)")


def get_for_update(db: Session, model: type[M], pk: Any) -> M | None:
    """The row of ``model`` with primary key ``pk``, locked until the transaction ends.

    ``None`` when there is no such row. The values are re-read from the database even
    when the object is already in the session (``populate_existing``): what was loaded
    before the lock may be stale, and the check must see what the lock protects. Call
    it before any change to the object in this transaction (a refresh discards them).
    """
    ensure_write_lock(db)
    return db.get(model, pk, with_for_update=True, populate_existing=True)


def get_many_for_update(db: Session, model: type[M], pks: Iterable[Any]) -> list[M]:
    """Several rows of ``model``, locked in ascending primary-key order.

    Two transactions that lock overlapping sets always take them in the same order, so
    they queue instead of deadlocking. Returns the rows found, in that order (missing
    keys are skipped; duplicates are locked once).
    """
    ensure_write_lock(db)
    ordered = sorted(set(pks))
    if not ordered:
        return []
    pk_col = inspect(model).primary_key
    if len(pk_col) != 1:
        raise LockingError(f"{model.__name__} has a composite primary key")
    stmt = (
        select(model)
        .where(pk_col[0].in_(ordered))
        .order_by(pk_col[0])
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(db.scalars(stmt))

"""Jobs after commit: ``after_commit(session, fn)`` runs ``fn`` once the session's
transaction has committed, and never if it rolls back.

Services never commit (the request's dependency does), yet some work must only happen
once the change is durable: waking live pages, waking the webhook worker. Doing it
inside the transaction would tell a page about a row that a later error rolls back, or
that another connection cannot see yet. So a service registers the job here and returns;
the session's own events run it after the outermost COMMIT, or drop it.

- Registered inside a SAVEPOINT (``session.begin_nested()``) that is rolled back, the job
  is dropped with the savepoint's work; released, it waits for the outer commit.
- Jobs run in registration order, in the thread that committed, after the commit: they
  must be quick and must not use the session (it has no transaction any more). One that
  raises is logged and the others still run: the commit itself already succeeded.
- A session closed or rolled back without committing drops its jobs.

The hooks are installed once on the ``Session`` class, so every session has them,
whatever made it (the request's dependency, ``Database.transaction``, the CLI).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)
_KEY = "rc_after_commit"

Job = Callable[[], object]


def _jobs(session: Session) -> list[tuple[SessionTransaction, Job]]:
    jobs: list[tuple[SessionTransaction, Job]] = session.info.setdefault(_KEY, [])
    return jobs


def after_commit(session: Session, fn: Job) -> None:
    """Run ``fn()`` after ``session``'s transaction commits (dropped on rollback).

    Starts the transaction when none is open yet, so that the job belongs to it.
    """
    if not session.in_transaction():
        session.begin()
    tx = session.get_nested_transaction() or session.get_transaction()
    assert tx is not None  # begun above
    _jobs(session).append((tx, fn))


def pending_jobs(session: Session) -> int:
    """How many jobs wait for this session's commit (for tests and assertions)."""
    return len(session.info.get(_KEY, ()))


def _within(tx: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while tx is not None:
        if tx is ended:
            return True
        tx = tx.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    # Fires for the outer transaction and for a savepoint alike: drop the jobs that
    # were registered in the transaction rolled back, or in one nested inside it.
    jobs = session.info.get(_KEY)
    if jobs:
        jobs[:] = [(tx, fn) for tx, fn in jobs if not _within(tx, previous_transaction)]


@event.listens_for(Session, "after_commit")
def _run_jobs(session: Session) -> None:
    # ``after_commit`` also fires when a SAVEPOINT is released; that is not yet a
    # commit, and the savepoint is still the session's current transaction then.
    if session.in_nested_transaction():
        return
    jobs = session.info.pop(_KEY, None)
    for _tx, fn in jobs or ():
        try:
            fn()
        except Exception:  # the commit stands; one failed job must not stop the others
            log.exception("after-commit job %r failed", fn)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit reaching ``_run_jobs`` (a
    # close, an error during COMMIT): nothing that was registered may run later.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_KEY, None)

"""The outbox's two transactions around each attempt: claim due rows, report the result.

No transaction stays open while a receiver is called (it may take the whole timeout):

1. **claim** (short): pick due ``pending`` rows, oldest due first. On PostgreSQL with
   ``FOR UPDATE SKIP LOCKED``, so workers on any number of instances each take rows no
   other is taking; on SQLite the writable transaction is already the only writer. Each
   row gets a random ``claim`` token and its ``next_attempt_at`` moves to the end of a
   lease: until then no other worker picks it up.
2. **report** (short): under the row's lock, and only while the token is still ours,
   record the attempt, then mark the row succeeded, failed (attempts used up) or due
   again after a backoff.

A worker killed between the two (SIGKILL, power loss) leaves its rows claimed; once the
lease ends any worker claims them again. Delivery is therefore at least once, never
lost; a receiver dedupes on ``webhook-id`` (the same on every attempt).
"""

from __future__ import annotations

import random
import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.db.aftercommit import after_commit
from relaycode.db.locking import get_for_update
from relaycode.db.session import Database
from relaycode.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from relaycode.notify.delivery import Message, Result


class Wakeable(Protocol):
    def wake(self) -> None: ...


_WORKERS: weakref.WeakKeyDictionary[Any, Wakeable] = weakref.WeakKeyDictionary()


def _pool_of(bind: Any) -> Any:
    return getattr(bind, "engine", bind).pool


def register_worker(bind: Any, worker: Wakeable) -> None:
    _WORKERS[_pool_of(bind)] = worker


def unregister_worker(bind: Any, worker: Wakeable) -> None:
    pool = _pool_of(bind)
    if _WORKERS.get(pool) is worker:
        del _WORKERS[pool]


def wake_worker_after_commit(db: Session) -> None:
    """New rows: this process's worker (if any) looks at once instead of at its next poll."""
    worker = _WORKERS.get(_pool_of(db.get_bind()))
    if worker is not None:
        after_commit(db, worker.wake)


def backoff(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the next try after ``attempts`` failed ones: exponential (base,
    2×base, 4×base … at most ``cap``), with "equal jitter": a random point in the upper
    half, so receivers that failed together are not all retried at the same instant."""
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return (rng or random).uniform(delay / 2, delay)


@dataclass(frozen=True)
class Claimed:
    id: int
    claim: str
    message: Message


def any_due(db: Database, now: datetime) -> bool:
    """A read-only look first: an idle worker never takes SQLite's writer gate."""
    with db.read_transaction() as s:
        q = select(WebhookDelivery.id).where(
            WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now
        )
        return s.scalar(q.limit(1)) is not None


def claim(db: Database, now: datetime, *, limit: int, lease: float) -> list[Claimed]:
    with db.transaction() as s:
        q = (
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
        if not db.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        rows = list(s.scalars(q))
        ids = {r.endpoint_id for r in rows}
        endpoints = {
            e.id: e for e in s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids)))
        }
        claimed: list[Claimed] = []
        for row in rows:
            endpoint = endpoints.get(row.endpoint_id)
            if endpoint is None or endpoint.deleted_at is not None:
                row.status, row.last_error = "failed", "webhook deleted"
                continue
            row.claim = secrets.token_hex(16)
            row.next_attempt_at = now + timedelta(seconds=lease)
            keys = [endpoint.secret]
            grace = endpoint.previous_expires_at
            if endpoint.previous_secret and grace is not None and grace > now:
                keys.append(endpoint.previous_secret)
            message = Message(endpoint.url, row.event_id, row.payload, tuple(keys))
            claimed.append(Claimed(row.id, row.claim, message))
    return claimed


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    base: float
    cap: float


def report(db: Database, item: Claimed, result: Result, now: datetime, policy: Policy) -> bool:
    """Record one attempt's result; False when the claim was lost (the lease ran out and
    another worker took the row), in which case nothing is written."""
    with db.transaction() as s:
        row = get_for_update(s, WebhookDelivery, item.id)
        if row is None or row.claim != item.claim or row.status != "pending":
            return False
        s.add(
            WebhookAttempt(
                delivery_id=row.id,
                attempted_at=now,
                status_code=result.status_code,
                response_excerpt=result.excerpt,
                error=result.error,
                duration_ms=result.duration_ms,
            )
        )
        row.attempts += 1
        row.last_attempt_at = now
        row.last_status = result.status_code
        row.last_error = result.error
        row.claim = None
        if result.ok:
            row.status = "succeeded"
        elif row.attempts >= policy.max_attempts:
            row.status = "failed"
        else:
            delay = backoff(row.attempts, policy.base, policy.cap)
            row.next_attempt_at = now + timedelta(seconds=delay)
    return True

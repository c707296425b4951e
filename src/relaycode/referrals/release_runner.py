"""Running ``release_due`` on a schedule: from the webhook worker's loop (the thread in
``relaycode serve`` and ``relaycode worker``) and from ``relaycode commissions release``.

Each batch is its own transaction, so a long backlog never holds locks for long, and a
batch another instance claimed (SKIP LOCKED on PostgreSQL) is simply not seen.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from relaycode.db.base import utcnow
from relaycode.db.session import Database
from relaycode.referrals.commission_release import BATCH, release_due

log = logging.getLogger(__name__)
MAX_BATCHES = 1000  # a bound per run; the next run continues


def release_all(db: Database, now: datetime | None = None, *, batch: int = BATCH) -> int:
    """Release every commission due by ``now``; how many were released."""
    now = now or utcnow()
    total = 0
    for _ in range(MAX_BATCHES):
        with db.transaction() as session:
            done = release_due(session, now=now, limit=batch)
        total += done
        if done < batch:
            break
    return total


class Releaser:
    """``tick()`` runs ``release_all`` at most once every ``every`` seconds."""

    def __init__(self, db: Database, every: float) -> None:
        self.db = db
        self.every = every
        self._next = 0.0
        self.released = 0

    def tick(self) -> int:
        now = time.monotonic()
        if now < self._next:
            return 0
        self._next = now + self.every
        try:
            done = release_all(self.db)
        except Exception:  # the database away, a bug: log it, the next tick retries
            log.exception("releasing commissions failed")
            return 0
        self.released += done
        return done

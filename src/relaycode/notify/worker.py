"""The webhook delivery worker: claims due outbox rows, sends them, reports back.

It runs as a thread inside ``relaycode serve`` (``RELAYCODE_WEBHOOK_WORKER``, on by
default) and as ``relaycode worker`` on its own; any number of either may share one
database (notify/outbox.py says how they never take the same row at once). It polls
every ``RELAYCODE_WEBHOOK_POLL_SECONDS`` and is woken at once when this process
commits new rows. Claimed messages are sent by a small thread pool
(``RELAYCODE_WEBHOOK_CONCURRENCY``), so one slow receiver does not hold up the others.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.db.session import Database
from relaycode.notify import delivery, outbox
from relaycode.notify.ssrf import Resolver, system_resolver

log = logging.getLogger(__name__)


@dataclass
class Stats:
    claimed: int = 0
    succeeded: int = 0
    failed_attempts: int = 0
    lost_claims: int = 0
    sent_ids: list[int] = field(default_factory=list)


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        resolver: Resolver = system_resolver,
        batch: int = 20,
        name: str = "rc-webhooks",
    ) -> None:
        self.db = db
        self.settings = settings
        self.resolver = resolver
        self.batch = batch
        self.name = name
        self.stats = Stats()
        self.policy = outbox.Policy(
            max_attempts=settings.webhook_max_attempts,
            base=settings.webhook_retry_base_seconds,
            cap=settings.webhook_retry_max_seconds,
        )
        # Never shorter than an attempt can take: a slow answer must not be re-claimed.
        self.lease = max(settings.webhook_lease_seconds, settings.webhook_timeout_seconds + 5)
        self._client = delivery.new_client(settings.webhook_timeout_seconds)
        self._pool = ThreadPoolExecutor(settings.webhook_concurrency, thread_name_prefix=name)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # The same loop releases commissions whose hold is over (imported here: the
        # referrals slice itself calls into notify).
        from relaycode.referrals.release_runner import Releaser

        self.releaser = Releaser(db, settings.commission_release_seconds)

    # ---- one round ---------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> int:
        """Claim what is due and send it; returns how many attempts were made."""
        now = now or utcnow()
        if not outbox.any_due(self.db, now):
            return 0
        claimed = outbox.claim(self.db, now, limit=self.batch, lease=self.lease)
        if not claimed:
            return 0
        results = list(self._pool.map(self._send, claimed))
        for item, result in zip(claimed, results, strict=True):
            kept = outbox.report(self.db, item, result, utcnow(), self.policy)
            with self._lock:
                self.stats.claimed += 1
                if not kept:
                    self.stats.lost_claims += 1
                elif result.ok:
                    self.stats.succeeded += 1
                    self.stats.sent_ids.append(item.id)
                else:
                    self.stats.failed_attempts += 1
        return len(claimed)

    def _send(self, item: outbox.Claimed) -> delivery.Result:
        return delivery.attempt(
            item.message,
            self._client,
            allow_private=self.settings.webhook_allow_private,
            resolver=self.resolver,
        )

    def drain(self, *, rounds: int = 1000) -> int:
        """Run rounds until nothing is due now (the CLI's ``--once``); bounded."""
        self.releaser.tick()
        total = 0
        for _ in range(rounds):
            done = self.run_once()
            if not done:
                break
            total += done
        return total

    # ---- in the background ------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> DeliveryWorker:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.releaser.tick()
                busy = self.run_once() > 0
            except Exception:  # the database away, a bug: log, wait, try again
                log.exception("webhook worker round failed")
                busy = False
            if not busy:
                self._wake.wait(self.settings.webhook_poll_seconds)
                self._wake.clear()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

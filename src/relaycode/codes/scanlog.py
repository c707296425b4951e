"""Scan events are analytics: buffered in memory and written in batches.

A scan must not wait for (or contend on) a write: resolving stays a read, and one
background thread inserts the buffered events every ``interval`` seconds in one
transaction. Events still in the buffer when the process is killed are lost (at most
``interval`` seconds' worth); a clean shutdown flushes them. When the buffer is full the
caller flushes synchronously, so a slow database slows scans down instead of dropping data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert

from relaycode.db.session import Database
from relaycode.models import ScanEvent

log = logging.getLogger("relaycode.scanlog")
_INSERT = insert(ScanEvent)


class ScanRecorder:
    def __init__(self, db: Database, *, interval: float = 0.25, max_buffer: int = 20_000) -> None:
        self._db = db
        self._interval = interval
        self._max = max_buffer
        self._buf: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_flush: Callable[[int], None] | None = None

    def record(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._buf.append(event)
            full = len(self._buf) >= self._max
            if self._thread is None:
                self._start()
        if full:
            self.flush()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scan-recorder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except Exception:  # keep the thread alive; the events stay buffered
                log.exception("writing scan events failed; will retry")

    def flush(self) -> int:
        with self._flush_lock:
            with self._lock:
                batch, self._buf = self._buf, []
            if not batch:
                return 0
            try:
                # Core executemany: one prepared INSERT for the whole batch.
                with self._db.engine.begin() as conn:
                    conn.execute(_INSERT, batch)
            except Exception:
                with self._lock:  # put them back in order, to retry on the next tick
                    self._buf[:0] = batch
                raise
        if self.on_flush:
            self.on_flush(len(batch))
        return len(batch)

    def pending(self) -> int:
        with self._lock:
            return len(self._buf)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

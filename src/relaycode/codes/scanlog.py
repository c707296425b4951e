"""Scan events are analytics: buffered in memory and written in batches.

A scan must not wait for (or contend on) a write: resolving stays a read, and one
background thread inserts the buffered events every ``interval`` seconds in one
transaction. Events still in the buffer when the process is killed are lost (at most
``interval`` seconds' worth); a clean shutdown flushes them. When the buffer is full the
caller flushes synchronously, so a slow database slows scans down instead of dropping data.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

from relaycode.db.session import Database
from relaycode.models import ScanEvent

log = logging.getLogger("relaycode.scanlog")
COLUMNS = ("code_id", "verdict", "reason", "foreign_host", "source", "user_id", "device_id",
           "user_agent", "created_at")  # fmt: skip
_TARGET = f"INSERT INTO scan_events ({', '.join(COLUMNS)}) "
# One statement per batch, the rows passed as one JSON array. A per-row executemany
# releases and retakes the GIL on every row, and each hand-off stalls the event loop
# that is answering scans; this costs one hand-off per batch.
_BATCH_SQL = {
    "sqlite": _TARGET
    + "SELECT "
    + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(COLUMNS)))
    + " FROM json_each(:batch)",
    "postgresql": _TARGET + "SELECT e->>0, e->>1, e->>2, e->>3, e->>4, (e->>5)::bigint, "
    "(e->>6)::bigint, e->>7, (e->>8)::timestamptz "
    "FROM jsonb_array_elements(CAST(:batch AS jsonb)) AS e",
}


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
                with self._db.engine.begin() as conn:
                    _insert_batch(conn, batch)
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


def _insert_batch(conn: Connection, batch: list[dict[str, Any]]) -> None:
    dialect = conn.dialect
    # Timestamps go in exactly as SQLAlchemy would bind them (SQLite keeps text).
    bind = ScanEvent.__table__.c.created_at.type._cached_bind_processor(dialect)
    rows = []
    for event in batch:
        when = bind(event["created_at"]) if bind else event["created_at"]
        if not isinstance(when, str):
            when = when.isoformat()
        rows.append([*(event[c] for c in COLUMNS[:-1]), when])
    conn.execute(text(_BATCH_SQL[dialect.name]), {"batch": json.dumps(rows)})

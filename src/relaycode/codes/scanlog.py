"""Scan events are analytics: buffered in memory and written in batches.

A scan must not wait for (or contend on) a write: resolving stays a read, and the scan
only appends its event to a list. One background thread inserts the buffered events in
one transaction every ``interval`` seconds, or at once when ``max_buffer`` are waiting.
The event loop never writes, so a slow database never stalls scans:

- while the writer is behind, events keep accumulating, up to ``max_pending``;
- beyond that, new events are **dropped and counted** (``dropped``; a warning is logged
  at most every ``warn_every`` seconds) rather than blocking the loop or growing memory
  without bound. A failed write puts its batch back (oldest first) within the same cap.

Events still in the buffer when the process is killed are lost (at most ``interval``
seconds' worth); a clean shutdown flushes them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, text

from relaycode.db.session import Database

log = logging.getLogger("relaycode.scanlog")
COLUMNS = ("code_id", "verdict", "reason", "foreign_host", "source", "user_id", "device_id",
           "user_agent", "is_bot", "created_at")  # fmt: skip
# ``is_staff`` is worked out by the insert itself, off the hot path: whether the scanner
# is a member of the merchant whose offer the code stands for.
_TARGET = f"INSERT INTO scan_events ({', '.join(COLUMNS)}, is_staff) "
_STAFF = (
    "EXISTS (SELECT 1 FROM codes c JOIN offers o ON o.id = c.offer_id "
    "JOIN memberships m ON m.merchant_id = o.merchant_id "
    "WHERE c.id = {code} AND m.user_id = {user})"
)
# One statement per batch, the rows passed as one JSON array. A per-row executemany
# releases and retakes the GIL on every row, and each hand-off stalls the event loop
# that is answering scans; this costs one hand-off per batch.
_SQLITE_VALUES = [f"json_extract(value, '$[{i}]')" for i in range(len(COLUMNS))]
_BATCH_SQL = {
    "sqlite": _TARGET
    + "SELECT "
    + ", ".join(_SQLITE_VALUES)
    + ", "
    + _STAFF.format(code=_SQLITE_VALUES[0], user=_SQLITE_VALUES[5])
    + " FROM json_each(:batch)",
    "postgresql": _TARGET + "SELECT e->>0, e->>1, e->>2, e->>3, e->>4, (e->>5)::bigint, "
    "(e->>6)::bigint, e->>7, (e->>8)::boolean, (e->>9)::timestamptz, "
    + _STAFF.format(code="e->>0", user="(e->>5)::bigint")
    + " FROM jsonb_array_elements(CAST(:batch AS jsonb)) AS e",
}


Row = tuple[Any, ...]  # one event, values in COLUMNS order


class ScanRecorder:
    def __init__(
        self,
        db: Database,
        *,
        interval: float = 0.25,
        max_buffer: int = 5_000,
        max_pending: int = 200_000,
        warn_every: float = 10.0,
    ) -> None:
        self._db = db
        self._interval = interval
        self._max = max_buffer
        self._cap = max(max_pending, max_buffer)
        self._warn_every = warn_every
        self._buf: list[Row] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned_at = -float("inf")
        self.dropped = 0
        self.on_flush: Callable[[int], None] | None = None

    def record(self, event: Mapping[str, Any]) -> None:
        self.record_row(tuple(event[c] for c in COLUMNS))

    def record_row(self, row: Row) -> None:
        """Queue one event; never writes, never waits on the writer."""
        with self._lock:
            n = len(self._buf)
            kept = n < self._cap
            if kept:
                self._buf.append(row)
            else:
                self.dropped += 1
            if self._thread is None:
                self._start()
        if n + 1 == self._max:
            self._wake.set()  # a full buffer: the writer takes it now, not the caller
        if not kept:
            self._warn_dropped()

    def _warn_dropped(self) -> None:
        now = time.monotonic()
        if now - self._warned_at >= self._warn_every:
            self._warned_at = now
            log.warning(
                "scan event writer is behind: %d events dropped so far (%d waiting)",
                self.dropped,
                self.pending(),
            )

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scan-recorder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # keep the thread alive; the events stay buffered
                log.exception("writing scan events failed; will retry")
                self._stop.wait(self._interval)

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
                    merged = batch + self._buf
                    self._buf = merged[: self._cap]
                    self.dropped += len(merged) - len(self._buf)
                raise
        if self.on_flush:
            self.on_flush(len(batch))
        return len(batch)

    def pending(self) -> int:
        with self._lock:
            return len(self._buf)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()


def _insert_batch(conn: Connection, batch: list[Row]) -> None:
    # Timestamps go in as SQLAlchemy would bind them: SQLite keeps naive UTC text in
    # its DATETIME format, PostgreSQL casts ISO 8601 with the offset.
    sqlite = conn.dialect.name == "sqlite"
    last = len(COLUMNS) - 1
    rows = []
    for row in batch:
        when = row[last].astimezone(UTC)
        text_when = (
            when.replace(tzinfo=None).isoformat(" ", "microseconds")
            if sqlite
            else (when.isoformat())
        )
        rows.append([*row[:last], text_when])
    conn.execute(text(_BATCH_SQL[conn.dialect.name]), {"batch": json.dumps(rows)})

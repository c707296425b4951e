"""When a device was last seen and an API key last used: noted in memory, written later.

Knowing who is calling must stay a read: a signed-in page view that wrote a timestamp
would take the SQLite writer gate (and a row lock on PostgreSQL) for every request. So
the lookup only *notes* the time here, and one background thread writes what was noted
every ``interval`` seconds, in one short transaction of its own. Many requests of one
device in that window cost one UPDATE. The times are bookkeeping, not rules: a crash
loses at most ``interval`` seconds of them, and a clean shutdown (``close``) writes them.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, bindparam, or_, update

from relaycode.db.base import UTCDateTime
from relaycode.db.session import Database
from relaycode.models import Device, MerchantApiKey

log = logging.getLogger("relaycode.activity")
# A stored time this fresh is good enough: do not note it again.
FRESH_FOR = timedelta(seconds=60)

_DEVICES: Table = Device.__table__  # type: ignore[assignment]
_KEYS: Table = MerchantApiKey.__table__  # type: ignore[assignment]
_AT = bindparam("at", type_=UTCDateTime())
# Only ever move a time forward (another instance may have written a later one).
_TOUCH_DEVICE = (
    update(_DEVICES)
    .where(_DEVICES.c.id == bindparam("row_id"), _DEVICES.c.last_seen_at < _AT)
    .values(last_seen_at=_AT)
)
_TOUCH_KEY = (
    update(_KEYS)
    .where(
        _KEYS.c.id == bindparam("row_id"),
        or_(_KEYS.c.last_used_at.is_(None), _KEYS.c.last_used_at < _AT),
    )
    .values(last_used_at=_AT)
)


def is_stale(stored: datetime | None, now: datetime) -> bool:
    return stored is None or now - stored > FRESH_FOR


class ActivityRecorder:
    """Coalesces "device X seen at T" and "key Y used at T" until the next flush."""

    def __init__(self, db: Database, *, interval: float = 5.0) -> None:
        self._db = db
        self._interval = interval
        self._devices: dict[int, datetime] = {}
        self._keys: dict[int, datetime] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def device_seen(self, device_id: int, at: datetime) -> None:
        self._note(self._devices, device_id, at)

    def key_used(self, key_id: int, at: datetime) -> None:
        self._note(self._keys, key_id, at)

    def _note(self, into: dict[int, datetime], row_id: int, at: datetime) -> None:
        with self._lock:
            if into.get(row_id, at) <= at:
                into[row_id] = at
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="activity-recorder", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except Exception:  # keep the thread alive; what was noted stays noted
                log.exception("writing last-seen times failed; will retry")

    def pending(self) -> int:
        with self._lock:
            return len(self._devices) + len(self._keys)

    def flush(self) -> int:
        """Write what was noted; returns how many rows were asked to move forward."""
        with self._flush_lock:
            with self._lock:
                devices, self._devices = self._devices, {}
                keys, self._keys = self._keys, {}
            if not devices and not keys:
                return 0
            try:
                with self._db.engine.begin() as conn:
                    _write(conn, devices, keys)
            except Exception:
                with self._lock:  # keep the later of what failed and what came since
                    for into, old in ((self._devices, devices), (self._keys, keys)):
                        for row_id, at in old.items():
                            if into.get(row_id, at) <= at:
                                into[row_id] = at
                raise
        return len(devices) + len(keys)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception:
            log.exception("writing last-seen times at shutdown failed")


def _write(conn: Connection, devices: dict[int, datetime], keys: dict[int, datetime]) -> None:
    # In primary-key order, like every lock we take: two instances flushing at once
    # queue on each other instead of deadlocking.
    for stmt, noted in ((_TOUCH_DEVICE, devices), (_TOUCH_KEY, keys)):
        if noted:
            conn.execute(stmt, [{"row_id": i, "at": noted[i]} for i in sorted(noted)])

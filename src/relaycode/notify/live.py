"""Live pushes: "something new for user N" reaches that user's open event streams.

A push carries no data, only a wake-up: the stream then reads the user's inbox after
the last item it sent (notify/sse.py), so nothing is lost between a wake-up and the
read, and a stream that missed a wake-up catches up at its next heartbeat.

- **In this process**: ``wake_after_commit`` registers an after-commit job
  (db/aftercommit.py) that wakes the local ``Broker``'s streams for that user, once the
  row is committed and visible to the stream's own read.
- **Across instances (PostgreSQL)**: the same call issues ``pg_notify`` inside the
  transaction; PostgreSQL delivers it to every listening connection exactly when the
  transaction commits (never on rollback). Each instance's ``PgListener`` thread wakes
  its local streams; it skips its own instance's notifications (already woken). After
  a lost connection it reconnects with backoff and wakes every local stream once, for
  whatever it missed meanwhile.
- **SQLite**: one machine; several processes on one file (``serve --workers``) see each
  other's items at the next heartbeat (``RELAYCODE_SSE_HEARTBEAT_SECONDS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relaycode.db.aftercommit import after_commit
from relaycode.errors import RateLimited

log = logging.getLogger(__name__)
CHANNEL = "relaycode_inbox"


class TooManyStreams(RateLimited):
    code = "too_many_streams"


class Subscription:
    """One open stream: an asyncio event set (from any thread) when it should read."""

    def __init__(self, broker: Broker, user_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.broker = broker
        self.user_id = user_id
        self._loop = loop
        self._event = asyncio.Event()
        self.closed = False  # the server is closing it
        self.gone = False  # the client left

    def wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: the stream too
            self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self, timeout: float) -> bool:
        """True when woken, False when ``timeout`` passed; clears the wake-up."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        self._event.clear()
        return True


class Broker:
    """This instance's open streams, by user; ``wake`` may be called from any thread."""

    def __init__(self, *, max_per_user: int, max_streams: int) -> None:
        self.id = secrets.token_hex(8)  # names this instance in pg_notify payloads
        self.max_per_user = max_per_user
        self.max_streams = max_streams
        self._lock = threading.Lock()
        self._subs: dict[int, set[Subscription]] = {}
        self._count = 0
        self.closed = False

    def subscribe(self, user_id: int) -> Subscription:
        sub = Subscription(self, user_id, asyncio.get_running_loop())
        with self._lock:
            mine = self._subs.setdefault(user_id, set())
            if len(mine) >= self.max_per_user or self._count >= self.max_streams:
                if not mine:
                    del self._subs[user_id]
                raise TooManyStreams(
                    "too many live connections are open; close a tab and try again",
                    details={"max_per_user": self.max_per_user},
                )
            mine.add(sub)
            self._count += 1
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            mine = self._subs.get(sub.user_id)
            if mine is not None and sub in mine:
                mine.discard(sub)
                self._count -= 1
                if not mine:
                    del self._subs[sub.user_id]

    def streams(self, user_id: int | None = None) -> int:
        with self._lock:
            return self._count if user_id is None else len(self._subs.get(user_id, ()))

    def wake(self, user_ids: Iterable[int]) -> None:
        with self._lock:
            subs = [s for uid in set(user_ids) for s in self._subs.get(uid, ())]
        for sub in subs:
            sub.wake()

    def wake_all(self) -> None:
        with self._lock:
            subs = [s for mine in self._subs.values() for s in mine]
        for sub in subs:
            sub.wake()

    def close(self) -> None:
        """Shutting down: every stream says goodbye and ends (the browser reconnects)."""
        self.closed = True
        with self._lock:
            subs = [s for mine in self._subs.values() for s in mine]
        for sub in subs:
            sub.closed = True
            sub.wake()


# The broker serving each engine's streams in this process, found from a session's bind.
# Keyed by the connection pool, which an engine and its execution-option copies share.
_BROKERS: weakref.WeakKeyDictionary[Any, Broker] = weakref.WeakKeyDictionary()


def _pool_of(bind: Any) -> Any:
    return getattr(bind, "engine", bind).pool


def register(bind: Any, broker: Broker) -> None:
    _BROKERS[_pool_of(bind)] = broker


def unregister(bind: Any, broker: Broker) -> None:
    pool = _pool_of(bind)
    if _BROKERS.get(pool) is broker:
        del _BROKERS[pool]


def broker_for(bind: Any) -> Broker | None:
    return _BROKERS.get(_pool_of(bind))


def wake_after_commit(db: Session, user_id: int) -> None:
    """Wake ``user_id``'s streams, here and on every instance, once ``db`` commits."""
    bind = db.get_bind()
    broker = broker_for(bind)
    if broker is not None:
        after_commit(db, lambda: broker.wake((user_id,)))
    if bind.dialect.name == "postgresql":
        origin = broker.id if broker is not None else "-"
        db.execute(select(func.pg_notify(CHANNEL, f"{origin}:{user_id}")))


def _database_gone(exc: Exception) -> bool:
    """Server error 3D000: mapped to a class on a live connection; at connect time
    psycopg only has the server's (English, by default) message."""
    import psycopg

    if isinstance(exc, psycopg.errors.InvalidCatalogName):
        return True
    text = str(exc)
    return isinstance(exc, psycopg.OperationalError) and (
        'FATAL:  database "' in text and '" does not exist' in text
    )


class PgListener:
    """LISTEN on one connection of its own, in a thread; reconnects until stopped."""

    def __init__(self, conninfo: str, broker: Broker, *, poll: float = 1.0) -> None:
        self.conninfo = conninfo
        self.broker = broker
        self.poll = poll
        self.connected = threading.Event()
        self.backend_pid: int | None = None
        self.reconnects = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rc-pg-listen", daemon=True)

    def start(self) -> PgListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.poll + 5)

    def _run(self) -> None:
        import psycopg

        backoff = 0.2
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.backend_pid = conn.info.backend_pid
                    self.connected.set()
                    backoff = 0.2
                    self.broker.wake_all()  # whatever was committed while we were away
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self.poll):
                            self._deliver(note.payload)
            except Exception as exc:  # psycopg.Error, OSError: reconnect, never die ...
                self.connected.clear()
                if self._stop.is_set():
                    return
                if _database_gone(exc):
                    # ... unless the database itself was dropped: nothing will arrive
                    # again, and retrying forever only fills the log (a test's dropped DB).
                    log.error("inbox listener stops: %s", exc)
                    return
                self.reconnects += 1
                log.warning("inbox listener lost its connection (%s); reconnecting", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _deliver(self, payload: str) -> None:
        origin, _, user = payload.partition(":")
        if origin == self.broker.id or not user.isdigit():
            return  # our own (woken after commit already), or not one of ours
        self.broker.wake((int(user),))

"""How many writable request sessions may be open at once, queued in the event loop.

Why: a request's handler runs on one of anyio's worker threads (40 by default), and so
does its commit (``deps._transaction``). Under a burst of writes, every worker thread
could be held by a handler waiting for something only a commit releases (SQLite's
writer gate, a PostgreSQL row lock, a pooled connection); the commits then find no
thread, nothing moves, and after 30 s the waiters fail (the "half of 50 concurrent
writes answer 500" bug). So ``deps.get_db`` takes a slot here *before* the handler
runs and gives it back after the commit: at most ``limit`` writers hold threads and
connections, the rest wait as coroutines, costing nothing, in arrival order.

``limit`` stays below both the worker threads (leaving room for commits, sign-in reads
and read-only requests) and the connection pool (leaving connections for readers).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from sqlalchemy import Engine

THREAD_HEADROOM = 8  # worker threads kept for commits, sign-in lookups and readers
POOL_HEADROOM = 4  # pooled connections kept for readers
SQLITE_WRITERS = 8  # SQLite writes one at a time: more in flight only wait on the gate


def pool_capacity(engine: Engine) -> int:
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if not callable(size):
        return 8
    total = int(size()) + max(int(overflow), 0)
    return max(total, 1)


def default_limit(engine: Engine) -> int:
    """From the running loop's worker-thread limit (call it inside the loop)."""
    threads = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
    limit = min(threads - THREAD_HEADROOM, pool_capacity(engine) - POOL_HEADROOM)
    if engine.dialect.name == "sqlite":
        limit = min(limit, SQLITE_WRITERS)
    return max(1, limit)


class WriteSlots:
    """An asyncio semaphore per event loop (a process may run several: tests)."""

    def __init__(self, engine: Engine, limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError("at least one writer")
        self._engine = engine
        self._limit = limit
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._by_loop = weakref.WeakKeyDictionary()

    def limit(self) -> int:
        """The configured limit, else ``default_limit`` (inside a running loop)."""
        return self._limit or default_limit(self._engine)

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._by_loop.get(loop)
        if sem is None:
            sem = self._by_loop[loop] = asyncio.Semaphore(self.limit())
        return sem

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        sem = self._semaphore()
        await sem.acquire()
        try:
            yield
        finally:
            sem.release()

    def waiting(self) -> int:
        """Requests queued for a slot now (in this loop), for tests and metrics."""
        sem = self._by_loop.get(asyncio.get_running_loop())
        waiters = getattr(sem, "_waiters", None) if sem is not None else None
        return len(waiters) if waiters else 0

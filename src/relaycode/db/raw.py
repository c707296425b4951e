"""Raw reads for the resolve hot path: compiled once, run on a DB-API connection.

SQLAlchemy builds, caches and compiles these statements once; at run time we skip its
Connection/Result layers (which cost several times the indexed lookup itself) but still
convert each column with SQLAlchemy's own result processors, so the values are exactly
what the ORM would give (aware UTC datetimes, parsed JSON) on every engine. Each query
says how its row becomes a typed value (``Query.make``), so every reader — through the
ORM, raw, or asyncio — returns the same typed rows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import psycopg
from sqlalchemy import Connection, Engine, Select
from sqlalchemy.orm import Session

RowT = TypeVar("RowT")
Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, a cache key
class Query(Generic[RowT]):
    """A statement built once, and how one result row (column values in select order)
    becomes a typed value."""

    stmt: Select[Any]
    make: Callable[[Sequence[Any]], RowT]


class CompiledQuery:
    def __init__(self, stmt: Select[Any], engine: Engine) -> None:
        compiled = stmt.compile(dialect=engine.dialect)
        self.sql = compiled.string
        self._positional = compiled.positional
        self._order = list(compiled.positiontup or [])
        # Literal values in the statement (e.g. status = 'active') are bound parameters too.
        self._defaults = {k: v for k, v in compiled.params.items() if v is not None}
        # Typed parameters (a UTC datetime) need their type's conversion, as SQLAlchemy
        # would apply it; the hot path's plain string parameters have none and skip this.
        self._binds: dict[str, Callable[[Any], Any]] = {
            k: p for k, p in (compiled._bind_processors or {}).items() if callable(p)
        }
        self._processors: list[Processor] = [
            c.type._cached_result_processor(engine.dialect, None) for c in stmt.selected_columns
        ]

    def params(self, values: Mapping[str, object]) -> Sequence[Any] | dict[str, Any]:
        merged = {**self._defaults, **values}
        for name, process in self._binds.items():
            if name in values:
                merged[name] = process(values[name])
        if self._positional:
            return [merged[name] for name in self._order]
        return merged

    def decode(self, row: Sequence[Any]) -> list[Any]:
        return [
            proc(value) if proc is not None else value
            for proc, value in zip(self._processors, row, strict=True)
        ]


class Reader(Protocol):
    def first(self, query: Query[RowT], values: Mapping[str, object]) -> RowT | None: ...


class SqlReader:
    """Through SQLAlchemy: inside a request's Session or a Core Connection."""

    def __init__(self, conn: Connection | Session) -> None:
        self._conn = conn

    def first(self, query: Query[RowT], values: Mapping[str, object]) -> RowT | None:
        row = self._conn.execute(query.stmt, dict(values)).first()
        return None if row is None else query.make(tuple(row))


class RawReader:
    """Runs compiled queries on one DB-API connection (read-only use)."""

    def __init__(self, dbapi_conn: Any, compiled: Callable[[Select[Any]], CompiledQuery]) -> None:
        self._conn = dbapi_conn
        self._compiled = compiled

    def first(self, query: Query[RowT], values: Mapping[str, object]) -> RowT | None:
        compiled = self._compiled(query.stmt)
        cur = self._conn.cursor()
        try:
            cur.execute(compiled.sql, compiled.params(values))
            row = cur.fetchone()
        finally:
            cur.close()  # also ends SQLite's implicit read transaction at once
        return None if row is None else query.make(compiled.decode(row))


class AsyncReader(Protocol):
    async def first(self, query: Query[RowT], values: Mapping[str, object]) -> RowT | None: ...

    async def all(self, query: Query[RowT], values: Mapping[str, object]) -> list[RowT]: ...


class _Lane:
    """One dedicated connection and its reused cursor."""

    __slots__ = ("conn", "cur")

    def __init__(self) -> None:
        self.conn: psycopg.AsyncConnection[Any] | None = None
        self.cur: psycopg.AsyncCursor[Any] | None = None


class PgAsyncReader:
    """Compiled queries over a few dedicated asyncio psycopg connections: the event loop
    never blocks on PostgreSQL and no worker thread is needed per scan.

    Leaner than a general pool on purpose, as this is the scan hot path: each of
    ``max_size`` lanes keeps one autocommit connection (opened on first use) and one
    cursor, and every statement is prepared on the server once per connection. A free
    lane is taken without locks (one event loop); callers beyond ``max_size`` wait in
    line. The lanes belong to the running loop and are remade if another loop calls (as
    test clients do). A connection that fails or is interrupted mid-query is closed and
    reopened, and the query retried once.
    """

    def __init__(
        self, conninfo: str, compiled: Callable[[Select[Any]], CompiledQuery], *, max_size: int = 4
    ) -> None:
        self._conninfo = conninfo
        self._compiled = compiled
        self._max_size = max_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._free: list[_Lane] = []
        self._all: list[_Lane] = []
        self._waiters: deque[asyncio.Future[_Lane]] = deque()

    async def _acquire(self) -> _Lane:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._waiters = loop, deque()
            self._all = [_Lane() for _ in range(self._max_size)]
            self._free = list(self._all)
        if self._free:
            return self._free.pop()
        fut: asyncio.Future[_Lane] = loop.create_future()
        self._waiters.append(fut)
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release(fut.result())  # handed to us just as we were cancelled
            raise

    def _release(self, lane: _Lane) -> None:
        if lane not in self._all:
            return  # from a previous loop's lanes
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(lane)
                return
        self._free.append(lane)

    async def _rows(self, query: Query[RowT], values: Mapping[str, object]) -> list[RowT]:
        compiled = self._compiled(query.stmt)
        params = compiled.params(values)
        lane = await self._acquire()
        try:
            for attempt in (1, 2):
                try:
                    if lane.conn is None or lane.cur is None or lane.conn.closed:
                        lane.conn = await psycopg.AsyncConnection.connect(
                            self._conninfo, autocommit=True, connect_timeout=10
                        )
                        lane.cur = lane.conn.cursor()
                    await lane.cur.execute(compiled.sql, params, prepare=True)
                    rows = await lane.cur.fetchall()
                    return [query.make(compiled.decode(row)) for row in rows]
                except psycopg.OperationalError:
                    # The server dropped the connection (restart, idle timeout): reopen.
                    await _discard(lane)
                    if attempt == 2:
                        raise
                except BaseException:
                    await _discard(lane)  # interrupted mid-query: its state is unknown
                    raise
            raise AssertionError("unreachable")
        finally:
            self._release(lane)

    async def first(self, query: Query[RowT], values: Mapping[str, object]) -> RowT | None:
        rows = await self._rows(query, values)
        return rows[0] if rows else None

    async def all(self, query: Query[RowT], values: Mapping[str, object]) -> list[RowT]:
        return await self._rows(query, values)

    def connections(self) -> int:
        """How many lanes have a connection open (for tests and diagnostics)."""
        return sum(1 for lane in self._all if lane.conn is not None and not lane.conn.closed)

    async def close(self) -> None:
        for lane in self._all:
            await _discard(lane)


async def _discard(lane: _Lane) -> None:
    conn, lane.conn, lane.cur = lane.conn, None, None
    if conn is not None:
        with contextlib.suppress(Exception):
            await conn.close()

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool
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
        self._processors: list[Processor] = [
            c.type._cached_result_processor(engine.dialect, None) for c in stmt.selected_columns
        ]

    def params(self, values: Mapping[str, object]) -> Sequence[Any] | dict[str, Any]:
        merged = {**self._defaults, **values}
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


class PgAsyncReader:
    """Compiled queries over an asyncio psycopg pool: the event loop never blocks on
    PostgreSQL and no worker thread is needed per scan.

    The pool is made on first use in the running loop (and remade if a different loop
    calls, as test clients do); connections are in autocommit mode, and psycopg prepares
    the statements after a few executions.
    """

    def __init__(
        self, conninfo: str, compiled: Callable[[Select[Any]], CompiledQuery], *, max_size: int = 10
    ) -> None:
        self._conninfo = conninfo
        self._compiled = compiled
        self._max_size = max_size
        self._pool: AsyncConnectionPool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    async def _get_pool(self) -> AsyncConnectionPool:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:  # the first burst of scans must open one pool, not many
            if self._pool is None or self._loop is not loop:
                stale, self._pool = self._pool, None
                if stale is not None and self._loop is not None and not self._loop.is_closed():
                    with contextlib.suppress(Exception):
                        await stale.close(timeout=0)
                pool = AsyncConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._max_size,
                    open=False,
                    kwargs={"autocommit": True},
                )
                await pool.open(wait=True, timeout=10)
                self._pool, self._loop = pool, loop
        return self._pool

    async def _rows(self, query: Query[RowT], values: Mapping[str, object]) -> list[RowT]:
        compiled = self._compiled(query.stmt)
        pool = await self._get_pool()
        for attempt in (1, 2):
            try:
                async with pool.connection() as conn:
                    cur = await conn.execute(compiled.sql, compiled.params(values))
                    rows = await cur.fetchall()
                return [query.make(compiled.decode(row)) for row in rows]
            except psycopg.OperationalError:
                # The server dropped connections (restart, idle timeout): the broken one
                # is discarded on return; check the idle ones too, then retry once.
                if attempt == 2:
                    raise
                await pool.check()
        raise AssertionError("unreachable")

    async def first(self, query: Query[RowT], values: Mapping[str, object]) -> RowT | None:
        rows = await self._rows(query, values)
        return rows[0] if rows else None

    async def all(self, query: Query[RowT], values: Mapping[str, object]) -> list[RowT]:
        return await self._rows(query, values)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

"""The resolve hot path's queries, run on a raw DB-API connection.

SQLAlchemy builds, caches and compiles these statements once; at run time we skip its
Connection/Result layers (which cost several times the indexed lookup itself) but still
convert each column with SQLAlchemy's own result processors, so the values are exactly
what the ORM would give (aware UTC datetimes, parsed JSON) on every engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Select
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None


class CompiledQuery:
    def __init__(self, stmt: Select[Any], engine: Engine) -> None:
        compiled = stmt.compile(dialect=engine.dialect)
        self.sql = compiled.string
        self._positional = compiled.positional
        self._order = list(compiled.positiontup or [])
        # Literal values in the statement (e.g. status = 'active') are bound parameters too.
        self._defaults = {k: v for k, v in compiled.params.items() if v is not None}
        self.names = [str(c.key) for c in stmt.selected_columns]
        self._processors: list[Processor] = [
            c.type._cached_result_processor(engine.dialect, None) for c in stmt.selected_columns
        ]

    def params(self, values: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        merged = {**self._defaults, **values}
        if self._positional:
            return [merged[name] for name in self._order]
        return merged

    def decode(self, row: Sequence[Any]) -> dict[str, Any]:
        return {
            name: (proc(value) if proc is not None else value)
            for name, proc, value in zip(self.names, self._processors, row, strict=True)
        }


class Reader(Protocol):
    def first(self, stmt: Select[Any], values: dict[str, Any]) -> dict[str, Any] | None: ...


class SqlReader:
    """Through SQLAlchemy: inside a request's Session or a Core Connection."""

    def __init__(self, conn: Connection | Session) -> None:
        self._conn = conn

    def first(self, stmt: Select[Any], values: dict[str, Any]) -> dict[str, Any] | None:
        row = self._conn.execute(stmt, values).first()
        return None if row is None else dict(row._mapping)


class RawReader:
    """Runs compiled queries on one pooled DB-API connection (read-only use)."""

    def __init__(self, dbapi_conn: Any, compiled: Callable[[Select[Any]], CompiledQuery]) -> None:
        self._conn = dbapi_conn
        self._compiled = compiled

    def first(self, stmt: Select[Any], values: dict[str, Any]) -> dict[str, Any] | None:
        query = self._compiled(stmt)
        cur = self._conn.cursor()
        try:
            cur.execute(query.sql, query.params(values))
            row = cur.fetchone()
        finally:
            cur.close()
        return None if row is None else query.decode(row)

"""One transaction per request: the dependency commits on success, rolls back on error.

Services receive the ``Session`` and never commit; only this module (and the CLI's
equivalent ``transaction`` helper) does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select
from sqlalchemy.orm import Session, sessionmaker

from relaycode.codes.lookup import CompiledQuery, RawReader

T = TypeVar("T")


class Database:
    def __init__(self, engine: Engine, reader_engine: Engine | None = None) -> None:
        self.engine = engine
        self.reader_engine = reader_engine or engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
        self._compiled: dict[Select[Any], CompiledQuery] = {}
        self.readonly_engine = engine.execution_options(readonly=True)
        self.readonly_sessionmaker = sessionmaker(bind=self.readonly_engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self.sessionmaker()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction that only reads: on SQLite it never waits for the writer."""
        session = self.readonly_sessionmaker()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A bare Core connection in a read-only transaction: the cheapest way to read."""
        with self.readonly_engine.connect() as conn:
            yield conn

    def read_raw(self, work: Callable[[RawReader], T]) -> T:
        """Run read-only ``work`` on a pooled DB-API connection (the resolve hot path).

        A connection the server dropped (restart, idle timeout) is discarded and the work
        retried once on a fresh one, since the reader pool does not pre-ping.
        """
        for attempt in (1, 2):
            conn = self.reader_engine.raw_connection()
            try:
                return work(RawReader(conn, self.compiled))
            except self.reader_engine.dialect.loaded_dbapi.OperationalError:
                conn.invalidate()
                if attempt == 2:
                    raise
            finally:
                conn.close()  # back to the pool (invalidated ones are replaced)
        raise AssertionError("unreachable")

    def compiled(self, stmt: Select[Any]) -> CompiledQuery:
        query = self._compiled.get(stmt)
        if query is None:
            query = self._compiled[stmt] = CompiledQuery(stmt, self.engine)
        return query

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reader_engine is not self.engine:
            self.reader_engine.dispose()

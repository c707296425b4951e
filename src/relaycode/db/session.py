"""One transaction per request: the dependency commits on success, rolls back on error.

Services receive the ``Session`` and never commit; only this module (and the CLI's
equivalent ``transaction`` helper) does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, Select
from sqlalchemy.orm import Session, sessionmaker

from relaycode.db.raw import CompiledQuery, RawReader

T = TypeVar("T")


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
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
    def read_transaction(self) -> Iterator[Session]:
        """A short read-only transaction: never takes the SQLite writer gate.

        Objects loaded here are detached when it ends; change them only through a
        writable session (``db.get`` them there).
        """
        session = self.readonly_sessionmaker()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def read_raw(self, work: Callable[[RawReader], T]) -> T:
        """Run read-only ``work`` on a pooled DB-API connection (the SQLite scan path:
        its connections read in autocommit mode, so no BEGIN/ROLLBACK is spent)."""
        conn = self.engine.raw_connection()
        try:
            return work(RawReader(conn, self.compiled))
        finally:
            conn.close()

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

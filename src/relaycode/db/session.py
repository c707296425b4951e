"""One transaction per request: the dependency commits on success, rolls back on error.

Services receive the ``Session`` and never commit; only this module (and the CLI's
equivalent ``transaction`` helper) does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, Select
from sqlalchemy.orm import Session, sessionmaker

from relaycode.db.raw import CompiledQuery, RawReader
from relaycode.db.write_slots import WriteSlots

T = TypeVar("T")


class Database:
    def __init__(self, engine: Engine, *, max_writers: int | None = None) -> None:
        self.engine = engine
        # Writable request sessions open at once (db/write_slots.py, deps.get_db).
        self.write_slots = WriteSlots(engine, max_writers)
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
        self._compiled: dict[Select[Any], CompiledQuery] = {}
        self.readonly_engine = engine.execution_options(readonly=True)
        self.readonly_sessionmaker = sessionmaker(bind=self.readonly_engine, expire_on_commit=False)
        # SQLite: one read connection held by the thread that reads most (the event loop),
        # which skips a pool checkout per scan.
        self._held: tuple[int, Any, RawReader] | None = None
        self._held_lock = threading.Lock()

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
        """Run read-only ``work`` on a DB-API connection (the SQLite scan path: its
        connections read in autocommit mode, so no BEGIN/ROLLBACK is spent).

        On SQLite the first thread to call keeps one connection for its later calls: a WAL
        read in autocommit mode holds no snapshot between statements, so a held connection
        sees every commit at once. Other threads check one out of the pool as before.
        """
        me = threading.get_ident()
        held = self._held
        if held is None and self.is_sqlite:
            with self._held_lock:  # two first callers must not both take one
                if self._held is None:
                    conn = self.engine.raw_connection()
                    self._held = (me, conn, RawReader(conn, self.compiled))
                held = self._held
        if held is not None and held[0] == me:
            try:
                return work(held[2])
            except self.engine.dialect.loaded_dbapi.Error:
                self._release_held()  # a broken connection is not kept
                raise
        conn = self.engine.raw_connection()
        try:
            return work(RawReader(conn, self.compiled))
        finally:
            conn.close()

    def _release_held(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held[1].close()  # back to the pool

    def compiled(self, stmt: Select[Any]) -> CompiledQuery:
        """The statement compiled for this engine, once."""
        query = self._compiled.get(stmt)
        if query is None:
            query = self._compiled[stmt] = CompiledQuery(stmt, self.engine)
        return query

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self._release_held()
        self.engine.dispose()

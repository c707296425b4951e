"""Engine construction: SQLite in WAL mode with a busy timeout, or PostgreSQL."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.pool import ConnectionPoolEntry


def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not pysqlite, decide when a transaction starts, so that
    # BEGIN IMMEDIATE / row-lock emulation works and WAL readers never block writers.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class _WriterGate:
    """One writing transaction at a time per process, handed over without sleeping.

    SQLite allows one writer. Left to itself, a waiting writer polls with sleeps of up
    to 100 ms (the busy handler), which collapses throughput under concurrency; a
    process-wide lock hands the turn over at once. Other processes (the CLI) still
    queue on busy_timeout. Read-only transactions skip the gate: WAL readers never block.
    """

    def __init__(self) -> None:
        self._sem = threading.Semaphore(1)

    def begin(self, conn: Any) -> None:
        if conn.get_execution_options().get("readonly"):
            conn.exec_driver_sql("BEGIN")
            return
        if not self._sem.acquire(timeout=30):
            raise TimeoutError("waited 30 s for the SQLite write lock")
        conn.info["rc_gate"] = True
        try:
            # IMMEDIATE takes the database write lock up front, so a transaction
            # never fails half-way when it upgrades from reading to writing.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(conn)
            raise

    def release(self, conn: Any, *_args: Any) -> None:
        if conn.info.pop("rc_gate", False):
            self._sem.release()

    def on_reset(self, _dbapi_conn: Any, record: ConnectionPoolEntry, _state: Any) -> None:
        # A connection returned to the pool mid-transaction (error paths).
        if record.info.pop("rc_gate", False):
            self._sem.release()

    def on_invalidate(self, _dbapi_conn: Any, record: ConnectionPoolEntry, _exc: Any) -> None:
        if record.info.pop("rc_gate", False):
            self._sem.release()


def private_sqlite_file(url: str) -> None:
    """The database file (it holds password hashes) readable by its owner only: 0600.

    Created 0600 before SQLite opens it; SQLite then gives the -wal and -shm files the
    same mode as the database file. An existing file and its companions are tightened.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite will say so, in its own words
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            if name.stat().st_mode & 0o077 and name.stat().st_uid == os.getuid():
                name.chmod(0o600)
        except FileNotFoundError:
            pass


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=8,
            max_overflow=8,
        )
        gate = _WriterGate()
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", gate.begin)
        event.listen(engine, "commit", gate.release)
        event.listen(engine, "rollback", gate.release)
        event.listen(engine.pool, "reset", gate.on_reset)
        event.listen(engine.pool, "invalidate", gate.on_invalidate)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)

"""Knowing who calls is a read: no write transaction for it, and "last seen" comes later.

Before, the lookup ran in the request's writable session and wrote ``last_seen_at`` /
``last_used_at`` there, so every signed-in request took SQLite's writer gate.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from helpers import auth, register

from relaycode.app import create_app
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.db.session import Database
from relaycode.identity.activity import ActivityRecorder
from relaycode.models import Device, MerchantApiKey

WAIT_SECONDS = 10.0


@pytest.fixture
def fast_client(settings: Settings) -> Iterator[TestClient]:
    """The app with its activity recorder flushing every 50 ms."""
    app = create_app(settings.model_copy(update={"activity_flush_seconds": 0.05}))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.rc.scans.close()
    app.state.rc.db.dispose()


def _db(client: TestClient) -> Database:
    db: Database = client.app.state.rc.db  # type: ignore[attr-defined]
    return db


def _eventually(probe: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if probe():
            return True
        time.sleep(0.02)
    return probe()


class Writes:
    """Transactions begun and statements run on an engine, while watched."""

    def __init__(self, db: Database) -> None:
        self.writable_begins = 0
        self.statements: list[str] = []
        self._engine = db.engine

    def _begin(self, conn: Any) -> None:
        if not conn.get_execution_options().get("readonly"):
            self.writable_begins += 1

    def _sql(self, _conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        self.statements.append(" ".join(statement.split()[:2]).upper())

    def __enter__(self) -> Writes:
        sa.event.listen(self._engine, "begin", self._begin)
        sa.event.listen(self._engine, "before_cursor_execute", self._sql)
        return self

    def __exit__(self, *_exc: Any) -> None:
        sa.event.remove(self._engine, "begin", self._begin)
        sa.event.remove(self._engine, "before_cursor_execute", self._sql)


def test_signed_in_get_opens_no_write_transaction(client: TestClient) -> None:
    token = register(client)
    with Writes(_db(client)) as seen:
        r = client.get("/api/v1/me", headers=auth(token))
    assert r.status_code == 200
    assert any(s.startswith("SELECT") for s in seen.statements)
    # A plain BEGIN (a WAL read) is fine; BEGIN IMMEDIATE or any write is not.
    assert {s.split()[0] for s in seen.statements} <= {"SELECT", "BEGIN"}, seen.statements
    assert "BEGIN IMMEDIATE" not in seen.statements
    assert seen.writable_begins == 0


def test_signed_in_get_answers_while_another_process_writes(client: TestClient) -> None:
    """An outside writer holds SQLite's write lock: a signed-in read does not wait for it."""
    db = _db(client)
    if not db.is_sqlite:
        pytest.skip("the SQLite writer gate")
    token = register(client)
    other = sqlite3.connect(db.engine.url.database or "", timeout=1, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # like a CLI command mid-transaction
        r = client.get("/api/v1/me", headers=auth(token))
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert r.status_code == 200, r.text


def _stored(db: Database, model: Any, column: str, row_id: int) -> datetime | None:
    with db.read_transaction() as s:
        row = s.get(model, row_id)
        assert row is not None
        value: datetime | None = getattr(row, column)
        return value


def test_last_seen_and_last_used_are_written_soon_after(fast_client: TestClient) -> None:
    c, db = fast_client, _db(fast_client)
    token = register(c)
    r = c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=auth(token))
    assert r.status_code == 201
    r = c.post("/api/v1/merchants/shop/api-keys", json={"name": "pos", "scopes": ["offers:read"]},
               headers=auth(token))  # fmt: skip
    key_id, key = r.json()["id"], r.json()["key"]
    long_ago = utcnow() - timedelta(hours=1)
    with db.transaction() as s:
        device_id = s.scalars(sa.select(Device.id)).one()
        s.execute(sa.update(Device).values(last_seen_at=long_ago))

    assert c.get("/api/v1/me", headers=auth(token)).status_code == 200
    assert c.get("/api/v1/merchants/shop/offers", headers=auth(key)).status_code == 200

    def device_seen() -> bool:
        seen = _stored(db, Device, "last_seen_at", device_id)
        return seen is not None and seen > long_ago + timedelta(minutes=30)

    assert _eventually(device_seen)
    assert _eventually(lambda: _stored(db, MerchantApiKey, "last_used_at", key_id) is not None)


def test_recorder_coalesces_and_only_moves_forward(client: TestClient) -> None:
    db = _db(client)
    register(client)
    with db.transaction() as s:
        device_id = s.scalars(sa.select(Device.id)).one()
    stored = _stored(db, Device, "last_seen_at", device_id)
    assert stored is not None
    recorder = ActivityRecorder(db, interval=3600)
    try:
        later = stored + timedelta(minutes=10)
        recorder.device_seen(device_id, stored + timedelta(minutes=5))
        recorder.device_seen(device_id, later)
        recorder.device_seen(device_id, stored + timedelta(minutes=1))  # arrives late
        assert recorder.pending() == 1
        assert recorder.flush() == 1 and recorder.pending() == 0
        assert _stored(db, Device, "last_seen_at", device_id) == later
        recorder.device_seen(device_id, stored)  # older than what is stored: no change
        recorder.flush()
        assert _stored(db, Device, "last_seen_at", device_id) == later
    finally:
        recorder.close()

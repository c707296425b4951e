"""Several instances on one PostgreSQL: an item committed through one instance reaches
a stream open on another (LISTEN/NOTIFY), also after the listener lost its connection."""

from __future__ import annotations

import time

import httpx
import sqlalchemy as sa
from helpers import auth, register
from live import live_app
from notify_support import SSE, pg_only

from relaycode.config import Settings

pytestmark = pg_only


def test_a_push_crosses_instances_and_survives_a_lost_listener(
    fast_settings: Settings, database_url: str
) -> None:
    # A heartbeat far longer than the test: only a NOTIFY can deliver in time.
    settings = fast_settings.model_copy(update={"sse_heartbeat_seconds": 120.0})
    a, b_app = live_app(settings), live_app(settings)
    with a as (url_a, app_a), b_app as (url_b, _), httpx.Client(base_url=url_b) as b:
        token = register(b, "alice")
        listener = app_a.state.notify.listener
        assert listener is not None and listener.connected.wait(10)
        stream = SSE(url_a, token)  # open on instance A
        try:
            stream.next("hello")
            started = time.monotonic()
            r = b.post("/api/v1/me/inbox/test", json={}, headers=auth(token))  # via B
            got = stream.next("inbox", timeout=10)
            assert got.id == str(r.json()["id"]) and time.monotonic() - started < 5
            # The listener's connection dies; it reconnects and carries on.
            old_pid = listener.backend_pid
            admin = sa.create_engine(
                database_url.replace("postgresql://", "postgresql+psycopg://", 1)
            )
            with admin.begin() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": old_pid})
            admin.dispose()
            deadline = time.monotonic() + 15
            while listener.backend_pid == old_pid or not listener.connected.is_set():
                assert time.monotonic() < deadline, "the listener did not reconnect"
                time.sleep(0.05)
            assert listener.reconnects >= 1
            r = b.post("/api/v1/me/inbox/test", json={}, headers=auth(token))
            assert stream.next("inbox", timeout=10).id == str(r.json()["id"])
        finally:
            stream.close()


def test_the_listener_stops_when_its_database_is_dropped(database_url: str) -> None:
    """A dropped database never comes back: the listener ends instead of retrying for
    the rest of the process (the end of a test run drops each worker's database)."""
    from relaycode.notify.live import Broker, PgListener

    url = sa.engine.make_url(database_url)
    admin = sa.create_engine(
        url.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    name = f"{url.database}_gone"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    conninfo = url.set(drivername="postgresql", database=name).render_as_string(False)
    listener = PgListener(conninfo, Broker(max_per_user=1, max_streams=1), poll=0.2).start()
    try:
        assert listener.connected.wait(10)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        listener._thread.join(timeout=20)
        assert not listener._thread.is_alive(), "the listener kept retrying a dropped database"
    finally:
        listener.stop()
        admin.dispose()

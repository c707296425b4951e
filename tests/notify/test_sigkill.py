"""A real ``relaycode serve`` process: webhooks committed to the outbox survive a SIGKILL
and are delivered after the restart; SIGTERM ends open event streams cleanly."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from helpers import auth, register
from notify_support import SSE, Receiver
from sqlalchemy import select
from standardwebhooks import Webhook
from subprocess_env import QUICK_WEBHOOKS, free_port, server_env
from subprocess_env import serving as serve_process

from relaycode.config import Settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.models import WebhookDelivery

STARTUP_SECONDS = 30.0


def _env(settings: Settings) -> dict[str, str]:
    return server_env(settings, **QUICK_WEBHOOKS, RELAYCODE_SSE_HEARTBEAT_SECONDS="30")


@contextmanager
def serving(settings: Settings, port: int) -> Iterator[subprocess.Popen[bytes]]:
    with serve_process(_env(settings), port) as proc:
        yield proc


def _rows(settings: Settings) -> list[WebhookDelivery]:
    db = Database(make_engine(settings.resolved_database_url))
    try:
        with db.read_transaction() as s:
            return list(s.scalars(select(WebhookDelivery)))
    finally:
        db.dispose()


def test_pending_webhooks_survive_a_sigkill(settings: Settings, receiver: Receiver) -> None:
    receiver.default = 503  # the merchant's server is down: everything stays pending
    receiver.delay = 0.2  # and slow, so some messages are in flight at the kill
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    accepted: list[str] = []
    with serving(settings, port) as proc, httpx.Client(base_url=base, timeout=10) as c:
        token = register(c, "alice")
        r = c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=auth(token))
        mid = r.json()["id"]
        hook = c.post(
            f"/api/v1/merchants/{mid}/webhooks",
            json={"url": receiver.url, "events": ["order.paid"]},
            headers=auth(token),
        ).json()
        path = f"/api/v1/merchants/{mid}/webhooks/{hook['id']}/test"
        stop = threading.Event()

        def stream_of_events() -> None:
            with httpx.Client(base_url=base, timeout=5) as s:
                for _ in range(200):
                    if stop.is_set():
                        return
                    try:
                        r = s.post(path, headers=auth(token))
                    except httpx.HTTPError:
                        return  # killed under us
                    if r.status_code == 202:
                        accepted.append(r.json()["event_id"])

        sender = threading.Thread(target=stream_of_events)
        sender.start()
        deadline = time.monotonic() + 20
        while len(accepted) < 15 or len(receiver.received) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # mid-stream, deliveries in flight
        proc.wait(timeout=10)
        stop.set()
        sender.join(10)
    rows = _rows(settings)
    assert {r.event_id for r in rows} >= set(accepted)
    assert all(r.status == "pending" for r in rows)
    receiver.default, receiver.delay = 200, 0.0  # the merchant's server is back
    with serving(settings, free_port()):
        deadline = time.monotonic() + 30
        while not all(r.status == "succeeded" for r in _rows(settings)):
            assert time.monotonic() < deadline, "pending webhooks were not delivered"
            time.sleep(0.2)
    delivered = [r for r in receiver.received if r.headers.get("webhook-id")]
    wh = Webhook(hook["secret"])
    for item in delivered:
        wh.verify(item.body, item.headers)
    # Every accepted event reached the receiver (at least once: a deduping receiver
    # applies each exactly once); nothing was lost with the killed process.
    assert set(accepted) <= {r.event_id for r in delivered}
    assert {r.event_id for r in rows} <= {r.event_id for r in delivered}


def test_sigterm_ends_open_streams_and_the_server(settings: Settings) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(settings, port) as proc, httpx.Client(base_url=base, timeout=10) as c:
        stream = SSE(base, register(c, "alice"))
        stream.next("hello")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert stream.next("bye", timeout=10).data == {"reason": "shutdown"}
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert proc.wait(timeout=15) in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 10
        stream.close()

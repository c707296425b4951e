"""Helpers for the notification tests (tests/notify): a webhook receiver on loopback,
an SSE reader, settings that allow loopback webhooks and retry fast."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_settings

from relaycode.config import Settings

PG = os.environ.get("RELAYCODE_TEST_DATABASE", "sqlite") == "postgresql"
pg_only = pytest.mark.skipif(not PG, reason="needs PostgreSQL")
FAST = {
    "webhook_allow_private": True,
    "webhook_retry_base_seconds": 0.2,
    "webhook_retry_max_seconds": 1.0,
    "webhook_poll_seconds": 0.1,
    "webhook_timeout_seconds": 2.0,
    "webhook_lease_seconds": 3.0,
    "sse_heartbeat_seconds": 0.5,
}


def settings_for(tmp_path: Path, database_url: str, **extra: Any) -> Settings:
    return make_settings(tmp_path / "data", database_url, **{**FAST, **extra})


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A tiny HTTP server on 127.0.0.1: records every POST, answers ``statuses`` in turn
    (then ``default``); ``delay`` seconds before answering."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default: int = 200
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else self.default

    def record(self, item: Received) -> None:
        with self.arrived:
            self.received.append(item)
            self.arrived.notify_all()

    def wait_for(self, n: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {n} deliveries arrived")
                self.arrived.wait(left)
            return list(self.received)


def start_receiver(receiver: Receiver, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            if len(body) < length:
                return  # the sender died mid-request (the SIGKILL test): not a delivery
            headers = {k.lower(): v for k, v in self.headers.items()}
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.answer()
            receiver.record(Received(headers, body))
            reply = json.dumps({"ok": status < 300}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True).start()  # fmt: skip
    return server


@dataclass
class Event:
    name: str
    data: Any
    id: str | None


class SSE:
    """Reads an event stream in a thread; ``next(name)`` waits for the next such event."""

    def __init__(self, base: str, token: str, headers: dict[str, str] | None = None) -> None:
        self.events: queue.Queue[Event | None] = queue.Queue()
        self.status: int | None = None
        self.body = ""
        self.opened = threading.Event()
        self._client = httpx.Client(base_url=base, timeout=httpx.Timeout(30.0))
        self._headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self.opened.wait(20), "the stream did not open"

    def _run(self) -> None:
        try:
            with self._client.stream("GET", "/api/v1/me/events", headers=self._headers) as r:
                self.status = r.status_code
                if r.status_code != 200:
                    r.read()
                    self.body = r.text
                    self.opened.set()
                    return
                self.opened.set()
                name, data, eid = "message", "", None
                for line in r.iter_lines():
                    if line == "":
                        if data:
                            self.events.put(Event(name, json.loads(data), eid))
                        name, data, eid = "message", "", None
                    elif line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        data += line[6:]
                    elif line.startswith("id: "):
                        eid = line[4:]
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()
            self.events.put(None)  # the stream ended

    def next(self, name: str, timeout: float = 10.0) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name!r} event within {timeout} s")
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if ev is None:
                raise AssertionError(f"the stream ended before a {name!r} event")
            if ev.name == name:
                return ev

    def ended(self, timeout: float = 10.0) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def close(self) -> None:
        self._client.close()
        self._thread.join(5)

"""Request bodies are limited per route while they stream in (relaycode.bodylimit)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register
from PIL import Image

from relaycode.app import create_app
from relaycode.config import Settings

MB = 1024 * 1024
CHUNK = 64 * 1024


class Upload:
    """An ASGI ``receive`` that streams ``total`` bytes and counts what was taken."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.consumed = 0

    async def receive(self) -> dict[str, Any]:
        if self.consumed >= self.total:
            await asyncio.sleep(3600)  # the client has nothing more (a disconnect never comes)
        size = min(CHUNK, self.total - self.consumed)
        self.consumed += size
        more = self.consumed < self.total
        return {"type": "http.request", "body": b"a" * size, "more_body": more}


def call(
    app: Any, method: str, path: str, upload: Upload, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request straight through the ASGI app, no HTTP client buffering the body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await asyncio.wait_for(app(scope, upload.receive, send), timeout=60)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    hdrs = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], hdrs, body


def test_200_mb_scan_body_is_refused_after_16_kib(app: Any) -> None:
    upload = Upload(200 * MB)
    status, headers, body = call(
        app, "POST", "/api/v1/scan", upload, {"content-type": "application/json"}
    )
    assert status == 413
    assert json.loads(body)["error"]["code"] == "too_large"
    assert upload.consumed <= 16 * 1024 + CHUNK  # stopped at the first chunk past 16 KiB
    assert headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff"  # inside the security headers


def test_declared_length_above_the_limit_is_refused_before_reading(app: Any) -> None:
    upload = Upload(50 * MB)
    status, _, body = call(
        app,
        "PATCH",
        "/api/v1/offers/1",
        upload,
        {"content-type": "application/json", "content-length": str(50 * MB)},
    )
    assert (status, upload.consumed) == (413, 0)
    assert json.loads(body)["error"]["code"] == "too_large"


def test_chunked_json_body_stops_at_the_default_limit(app: Any, settings: Settings) -> None:
    upload = Upload(200 * MB)
    status, _, _ = call(app, "POST", "/api/v1/auth/login", upload)
    assert status == 413
    assert upload.consumed <= settings.max_body_bytes + CHUNK


def test_50_mb_patch_is_refused_and_changes_nothing(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    padded = json.dumps({"title": "Changed", "padding": "x" * (50 * MB)})
    r = client.patch(
        f"/api/v1/offers/{offer['id']}",
        content=padded,
        headers={**auth(token), "content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert client.get(f"/api/v1/offers/{offer['id']}").json()["title"] == offer["title"]
    # The same edit, small, goes through: the limit is on size, not on the route.
    small = {"title": "Changed"}
    r = client.patch(f"/api/v1/offers/{offer['id']}", json=small, headers=auth(token))
    assert r.status_code == 200


def test_form_pages_are_small_too_and_answer_with_a_page(client: TestClient) -> None:
    r = client.post(
        "/login",
        content=b"username=" + b"x" * (200 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")


def _noisy_png(side: int = 300) -> bytes:
    """A PNG well above the 64 KiB default (noise does not compress)."""
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, "PNG")
    assert len(buf.getvalue()) > 200 * 1024
    return buf.getvalue()


def test_upload_routes_take_the_upload_limit(client: TestClient, settings: Settings) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    picture = _noisy_png()
    r = client.put(f"/api/v1/offers/{offer['id']}/image", content=picture, headers=auth(token))
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/decode", files={"file": ("p.png", picture, "image/png")})
    assert r.status_code == 200, r.text
    too_big = b"\0" * (settings.max_upload_bytes + 256 * 1024)
    r = client.post("/api/v1/decode", files={"file": ("p.png", too_big, "image/png")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


# ---- a real server: chunked uploads and a server that keeps answering ---------------


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[str, int]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield sock.getsockname()
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _status(conn: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        part = conn.recv(4096)
        if not part:
            break
        head += part
    return int(head.split(b" ", 2)[1])


def test_chunked_upload_is_cut_off_and_healthz_keeps_answering(server: tuple[str, int]) -> None:
    upload = socket.create_connection(server, timeout=10)
    upload.sendall(
        b"POST /api/v1/scan HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (8192, b"a" * 8192)
    upload.sendall(chunk)  # 8 KiB: under the limit, the request stays open

    # Meanwhile the server answers others.
    with socket.create_connection(server, timeout=10) as other:
        other.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        assert _status(other) == 200

    sent = len(chunk)
    upload.settimeout(0.05)
    answered = b""
    deadline = time.monotonic() + 60  # a bound on the loop, not a measurement
    while sent < 200 * MB and not answered and time.monotonic() < deadline:
        try:
            upload.sendall(chunk)
            sent += len(chunk)
            answered = upload.recv(4096, socket.MSG_PEEK)
        except (BlockingIOError, TimeoutError):
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    upload.settimeout(10)
    assert _status(upload) == 413
    # Only what the kernel's buffers held got through, not the 200 MB.
    assert sent < 32 * MB
    upload.close()

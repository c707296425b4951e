"""A real server and truly concurrent clients, for race tests (plain helpers, no fixtures).

The TestClient runs requests one after another through a portal, so it cannot show a
race. Here uvicorn serves the app on a loopback port; each request is handled on its own
worker thread with its own database session and connection, and the clients fire from
their own threads, released together by a barrier.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import uvicorn
from helpers import auth

from relaycode.app import create_app
from relaycode.config import Settings

T = TypeVar("T")
STARTUP_SECONDS = 20.0
REQUEST_SECONDS = 60.0


@contextmanager
def live_app(settings: Settings) -> Iterator[tuple[str, Any]]:
    """(base URL, app) of the app served by uvicorn on a port the kernel picked."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # Many sign-ups from one address are the point here, not the rate limit.
    unlimited = {
        "login_attempts_per_minute": 100_000,
        "signups_per_address": "100000 per minute",
        "login_failures_per_address": "100000 per minute",
        "login_failures_per_account": "100000 per minute",
    }
    app = create_app(settings.model_copy(update=unlimited))
    # Racers open their connections before the set-up that precedes the race; under load
    # that set-up can outlast uvicorn's 5 s keep-alive, and a request sent just as the
    # server closes an idle connection is reset. Idle connections stay open here.
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_keep_alive=int(REQUEST_SECONDS * 2)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        yield url, app
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def race(n: int, attempt: Callable[[int], T]) -> list[T]:
    """Run ``attempt(0..n-1)`` on ``n`` threads released at the same instant."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=REQUEST_SECONDS)
        return attempt(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n), timeout=REQUEST_SECONDS * 2))


def clients(url: str, n: int) -> list[httpx.Client]:
    """One connection per racer, opened beforehand so the barrier releases requests."""
    out = [httpx.Client(base_url=url, timeout=REQUEST_SECONDS) for _ in range(n)]
    for c in out:
        c.get("/healthz").raise_for_status()
    return out


def close_all(cs: Sequence[httpx.Client]) -> None:
    for c in cs:
        c.close()


def outcome(r: httpx.Response) -> tuple[int, str | None]:
    """(status, error code or None) — what a race result is compared by."""
    if r.status_code < 400:
        return r.status_code, None
    code: str | None = r.json().get("error", {}).get("code")
    return r.status_code, code


# Re-exported for the race tests: the same helpers serve TestClient and live clients.
bearer = auth

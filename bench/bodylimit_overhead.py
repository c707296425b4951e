"""What the body-limit middleware costs per request, in-process (no HTTP, no app).

    .venv/bin/python bench/bodylimit_overhead.py [--requests 100000]

Calls a bare ASGI "hello" directly and wrapped in ``BodyLimit``, for a small POST to
/api/v1/scan (the hot path) and a GET, and prints microseconds per request of each.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from relaycode.bodylimit import BodyLimit, route_limits
from relaycode.config import Settings

SCAN = {
    "type": "http",
    "method": "POST",
    "path": "/api/v1/scan",
    "http_version": "1.1",
    "headers": [
        (b"host", b"x"),
        (b"content-type", b"application/json"),
        (b"content-length", b"60"),
    ],
}
GET = {"type": "http", "method": "GET", "path": "/healthz", "http_version": "1.1",
       "headers": [(b"host", b"x")]}  # fmt: skip


async def hello(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"x" * 60, "more_body": False}


async def send(message: Any) -> None:
    return None


async def per_request(app: Any, scope: dict[str, Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - start) / n * 1e6


async def main(n: int) -> None:
    wrapped = BodyLimit(hello, route_limits(Settings(data_dir=Path("/tmp/relaycode-bench"))))
    for name, scope in (("POST /api/v1/scan", SCAN), ("GET /healthz", GET)):
        bare = min([await per_request(hello, scope, n) for _ in range(3)])
        limited = min([await per_request(wrapped, scope, n) for _ in range(3)])
        print(f"{name:18} bare {bare:6.2f} µs  with BodyLimit {limited:6.2f} µs  "
              f"(+{limited - bare:.2f} µs)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().requests))

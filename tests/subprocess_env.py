"""For tests that start a real ``relaycode`` process: a free loopback port, and the
environment that points the process at the test's database and data directory (with
cheap password hashing) and nothing else of the caller's ``RELAYCODE_*`` settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from relaycode.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# A real server with quick webhook retries, loopback receivers allowed and sign-ups
# unthrottled: for the tests that kill one mid-stream and restart it.
QUICK_WEBHOOKS = {
    "RELAYCODE_SIGNUPS_PER_ADDRESS": "1000 per minute",
    "RELAYCODE_WEBHOOK_ALLOW_PRIVATE": "true",
    "RELAYCODE_WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "RELAYCODE_WEBHOOK_RETRY_MAX_SECONDS": "1",
    "RELAYCODE_WEBHOOK_POLL_SECONDS": "0.1",
    "RELAYCODE_WEBHOOK_TIMEOUT_SECONDS": "1",
    "RELAYCODE_WEBHOOK_LEASE_SECONDS": "2",
}


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAYCODE_")}
    env.update(
        RELAYCODE_DATA_DIR=str(settings.data_dir),
        RELAYCODE_DATABASE_URL=settings.resolved_database_url,
        RELAYCODE_ARGON2_MEMORY_KIB="1024",
        RELAYCODE_ARGON2_TIME_COST="1",
        **extra,
    )
    return env


@contextmanager
def serving(
    env: dict[str, str], port: int, *, startup_seconds: float = 90.0
) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``relaycode serve`` on ``port`` until the block ends (then killed, if it
    still runs): for tests that kill it themselves, or need a process of its own."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "relaycode.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()

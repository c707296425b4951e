"""For tests that start a real ``relaycode`` process: a free loopback port, and the
environment that points the process at the test's database and data directory (with
cheap password hashing) and nothing else of the caller's ``RELAYCODE_*`` settings."""

from __future__ import annotations

import os
import socket

from relaycode.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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

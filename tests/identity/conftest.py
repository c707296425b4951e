"""A Redis for rate-limit tests: 127.0.0.1:6379, a unique key prefix per test."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Redis:
    url: str
    prefix: str


@pytest.fixture
def redis_target() -> Iterator[Redis]:
    """Skips without a Redis; parallel runs never see each other's counts; cleans up."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"relaycode-test-{uuid.uuid4().hex}"
    yield Redis(REDIS_URL, prefix)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()

"""Fixtures for the notification tests (helpers in tests/notify_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from notify_support import FAST, Receiver, start_receiver

from relaycode.config import Settings


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """The test database, loopback webhooks allowed, retries and heartbeats quick."""
    return settings.model_copy(update=FAST)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    server = start_receiver(r)
    yield r
    server.shutdown()
    server.server_close()

"""The CLI fixture for the credentials CLI tests (the same as tests/cli's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from relaycode.config import Settings, get_settings


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("RELAYCODE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RELAYCODE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RELAYCODE_PUBLIC_URL", settings.public_url)
    monkeypatch.setenv("RELAYCODE_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("RELAYCODE_ARGON2_TIME_COST", "1")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()

"""A wrong setting stops `relaycode serve` with one line, before anything listens."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaycode.cli.main import app
from relaycode.config import get_settings


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RELAYCODE_MEDIA_BACKEND", "s3", "unknown media backend 's3'"),
        ("RELAYCODE_RATELIMIT_BACKEND", "nope.nope:X", "cannot be imported"),
        ("RELAYCODE_TRUSTED_PROXIES", "10.0.0.0/33", "not an address or a CIDR"),
        ("RELAYCODE_SIGNUPS_PER_ADDRESS", "lots", "lots"),
    ],
)
def test_serve_refuses_a_wrong_setting_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv("RELAYCODE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1

"""The CLI writes codes for the address being served: RELAYCODE_PUBLIC_URL, else the base
URL ``relaycode serve`` recorded in the data directory, else the default, said on stderr.
(A sheet printed for :8000 while the server ran on :8790 pointed at the wrong port.)"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from relaycode.cli import serve
from relaycode.cli.main import app
from relaycode.config import Settings, get_settings

SERVED = "http://127.0.0.1:8790"


@pytest.fixture
def bare_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI as an operator's shell runs it: no RELAYCODE_PUBLIC_URL."""
    monkeypatch.setenv("RELAYCODE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RELAYCODE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RELAYCODE_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("RELAYCODE_ARGON2_TIME_COST", "1")
    # set first, so that teardown also removes what follow_served_address sets
    monkeypatch.setenv("RELAYCODE_PUBLIC_URL", "unset")
    monkeypatch.delenv("RELAYCODE_PUBLIC_URL")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _record(settings: Settings, url: str = SERVED) -> Path:
    serve.record_served_url(settings.model_copy(update={"public_url": url}))
    return settings.data_dir / "public_url"


def _offer(cli: CliRunner) -> str:
    result = cli.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["offers"][0]["id"])


def test_without_a_record_the_default_is_used_and_named(bare_cli: CliRunner) -> None:
    offer = _offer(bare_cli)
    result = bare_cli.invoke(app, ["codes", "issue", "--offer", offer])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("HTTP://127.0.0.1:8000/C/")
    assert "codes carry http://127.0.0.1:8000, the default" in result.stderr


def test_issue_print_and_inspect_follow_the_recorded_address(
    bare_cli: CliRunner, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    offer = _offer(bare_cli)
    record = _record(settings)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert [p.name for p in record.parent.iterdir() if p.name.startswith(".public_url")] == []
    issued = bare_cli.invoke(app, ["codes", "issue", "--offer", offer])
    assert issued.exit_code == 0 and issued.stderr == "", issued.output
    text = issued.stdout.strip()
    assert text.startswith("HTTP://127.0.0.1:8790/C/")
    verdict = bare_cli.invoke(app, ["codes", "inspect", text, "--json"])
    assert verdict.exit_code == 0 and json.loads(verdict.stdout)["verdict"] == "ours"

    printed: list[str] = []

    def fake_sheet(items: list[Any], **_: Any) -> bytes:
        printed.extend(item.text for item in items)
        return b"%PDF-"

    monkeypatch.setattr("relaycode.codes.sheets.render_sheet_pdf", fake_sheet)
    out = tmp_path / "sheet.pdf"
    args = ["codes", "print", "--offer", offer, "--count", "3", "--out", str(out)]
    result = bare_cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert len(printed) == 3 and all(t.startswith("HTTP://127.0.0.1:8790/C/") for t in printed)


def test_the_configured_url_beats_the_record(
    bare_cli: CliRunner, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    offer = _offer(bare_cli)
    _record(settings)
    monkeypatch.setenv("RELAYCODE_PUBLIC_URL", "https://codes.example")
    get_settings.cache_clear()
    result = bare_cli.invoke(app, ["codes", "issue", "--offer", offer])
    assert result.exit_code == 0 and result.stdout.startswith("HTTPS://CODES.EXAMPLE/C/")


def test_a_spoilt_record_is_ignored(bare_cli: CliRunner, settings: Settings) -> None:
    offer = _offer(bare_cli)
    (settings.data_dir / "public_url").write_text("javascript:alert(1)\n")
    result = bare_cli.invoke(app, ["codes", "issue", "--offer", offer])
    assert result.exit_code == 0 and result.stdout.startswith("HTTP://127.0.0.1:8000/C/")
    assert "the default" in result.stderr


def test_demo_port_alone_follows_the_port(bare_cli: CliRunner) -> None:
    result = bare_cli.invoke(app, ["demo", "--json", "--port", "8790"])
    assert result.exit_code == 0, result.output
    codes = [o["code"] for o in json.loads(result.stdout)["offers"]]
    assert codes and all(c.startswith("HTTP://127.0.0.1:8790/C/") for c in codes)


def test_demo_follows_the_recorded_address(bare_cli: CliRunner, settings: Settings) -> None:
    settings.ensure_data_dir()
    _record(settings, "http://192.168.7.20:8701")
    result = bare_cli.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    codes = [o["code"] for o in json.loads(result.stdout)["offers"]]
    assert all(c.startswith("HTTP://192.168.7.20:8701/C/") for c in codes)

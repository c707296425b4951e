"""A keyring with no signing key: refused as a file (import, start-up, a running server
keeps its keys), and should one be in memory anyway, issuing says so (503 no_active_key,
one line in the CLI), never StopIteration or a 500.

(A file that is not a keyring at all, ``{}`` included, is refused by the same strict
parser of codes/keyfile.py.)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register
from typer.testing import CliRunner

from relaycode.app import create_app
from relaycode.cli.main import app as cli_app
from relaycode.codes import keyfile
from relaycode.codes.keys import KeyringError
from relaycode.config import Settings, get_settings

EMPTY: dict[str, list[object]] = {"hmac": [], "ed25519": []}


def _write_later(path: Path, content: Any) -> None:
    before = path.stat().st_mtime if path.exists() else 0.0
    path.write_text(json.dumps(content))
    os.utime(path, (before + 10, before + 10))  # a change the refresh will notice


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("RELAYCODE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RELAYCODE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("RELAYCODE_PUBLIC_URL", settings.public_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_an_emptied_file_under_a_running_server_changes_nothing(
    app: Any, client: TestClient
) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    code_text = issue(client, token, offer["id"])
    ring = app.state.rc.keyring
    _write_later(ring.path, EMPTY)
    ring.refresh(max_age=0)  # logs the invalid file, keeps the keys in memory
    assert issue(client, token, offer["id"]).startswith("HTTPS://RC.TEST/C/")
    r = client.post("/api/v1/scan", json={"text": code_text})
    assert r.status_code == 200 and r.json()["verdict"] == "ours"


def test_a_server_will_not_start_on_an_empty_keyring(settings: Settings) -> None:
    path = settings.data_dir / "keys" / "keyring.json"
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_text(json.dumps(EMPTY))
    with pytest.raises(KeyringError) as err:
        create_app(settings)
    assert "no active hmac key" in str(err.value) and "\n" not in str(err.value)


def test_keys_import_refuses_an_empty_keyring_even_forced(
    cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    seeded = cli.invoke(cli_app, ["demo", "--json"])
    assert seeded.exit_code == 0, seeded.output
    keyring_file = settings.data_dir / "keys" / "keyring.json"
    before = keyring_file.read_text()
    empty = tmp_path / "e.json"
    empty.write_text(json.dumps(EMPTY))
    result = cli.invoke(cli_app, ["keys", "import", str(empty), "--force"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no active hmac key" in lines[0], result.output
    assert keyring_file.read_text() == before
    offer = str(json.loads(seeded.output)["offers"][0]["id"])
    assert cli.invoke(cli_app, ["codes", "issue", "--offer", offer]).exit_code == 0


def test_no_active_key_in_memory_is_a_503_and_one_cli_line(
    settings: Settings, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parser no longer lets such a keyring in; were one loaded anyway, both the
    API and the CLI name the problem (the code ``no_active_key``)."""
    application = create_app(settings)
    try:
        with TestClient(application, raise_server_exceptions=False) as client:
            token = register(client)
            offer = merchant_with_offer(client, token)
            monkeypatch.setattr(keyfile, "_check", lambda data: None)  # let it load
            ring = application.state.rc.keyring
            _write_later(ring.path, EMPTY)
            ring.refresh(max_age=0)
            r = client.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=auth(token))
            assert (r.status_code, r.json()["error"]["code"]) == (503, "no_active_key")
            assert "relaycode keys import FILE" in r.json()["error"]["message"]
            result = cli.invoke(cli_app, ["codes", "issue", "--offer", str(offer["id"])])
            assert result.exit_code == 1, result.output
            assert result.exception is None or isinstance(result.exception, SystemExit)
            lines = result.output.strip().splitlines()
            assert len(lines) == 1 and "(no_active_key)" in lines[0], result.output
    finally:
        application.state.rc.scans.close()
        application.state.rc.db.dispose()

"""``relaycode keys export/import`` and the refusal to run without a keyring once codes exist."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register
from typer.testing import CliRunner

from relaycode.app import create_app
from relaycode.cli.main import app
from relaycode.codes.keys import KeyringMissing
from relaycode.config import Settings


def _one_line_error(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def _keyring_path(settings: Settings) -> Path:
    return settings.data_dir / "keys" / "keyring.json"


def _demo(cli: CliRunner) -> dict[str, Any]:
    result = cli.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    seeded: dict[str, Any] = json.loads(result.output)
    return seeded


def test_lost_keyring_with_codes_stops_every_command(cli: CliRunner, settings: Settings) -> None:
    demo = _demo(cli)
    path = _keyring_path(settings)
    path.unlink()
    offer = str(demo["offers"][0]["id"])
    for argv in (
        ["codes", "issue", "--offer", offer],
        ["codes", "inspect", demo["offers"][0]["code"]],
        ["codes", "print", "--offer", offer, "--count", "2", "--out", "x.pdf"],
        ["keys", "list"],
        ["keys", "rotate"],
        ["keys", "export", "backup.json"],
        ["demo"],
    ):
        line = _one_line_error(cli, *argv)
        assert str(path) in line and "relaycode keys import FILE" in line, argv
    assert not path.exists()  # and none of them made new keys
    with pytest.raises(KeyringMissing):
        create_app(settings)  # what uvicorn's factory (and so `relaycode serve`) runs


def test_export_then_import_brings_printed_codes_back(
    cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    demo = _demo(cli)
    code = demo["offers"][0]["code"]
    backup = tmp_path / "backup.json"
    assert cli.invoke(app, ["keys", "export", str(backup)]).exit_code == 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert "--force" in _one_line_error(cli, "keys", "export", str(backup))
    _keyring_path(settings).unlink()
    result = cli.invoke(app, ["keys", "import", str(backup)])
    assert result.exit_code == 0 and "installed" in result.output, result.output
    verdict = cli.invoke(app, ["codes", "inspect", code, "--json"])
    assert verdict.exit_code == 0 and json.loads(verdict.output)["verdict"] == "ours"


def test_import_refuses_a_different_keyring_without_force(
    cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    demo = _demo(cli)
    foreign = tmp_path / "other" / "keys" / "keyring.json"
    from relaycode.codes.keys import Keyring

    Keyring(foreign)
    line = _one_line_error(cli, "keys", "import", str(foreign))
    assert "different keys" in line and "--force" in line
    code = demo["offers"][0]["code"]
    assert cli.invoke(app, ["codes", "inspect", code]).exit_code == 0  # still ours
    assert cli.invoke(app, ["keys", "import", str(foreign), "--force"]).exit_code == 0
    assert cli.invoke(app, ["codes", "inspect", code]).exit_code == 1  # as it said


@pytest.mark.parametrize(
    "content", ["", "{", '{"hmac": "x", "ed25519": []}', '{"hmac": [{"kid": 1}], "ed25519": []}']
)
def test_corrupt_keyring_is_one_line_in_the_cli(
    cli: CliRunner, settings: Settings, content: str
) -> None:
    _demo(cli)
    _keyring_path(settings).write_text(content)
    line = _one_line_error(cli, "keys", "list")
    assert "not valid" in line and str(_keyring_path(settings)) in line
    assert "not valid" in _one_line_error(cli, "keys", "import", str(_keyring_path(settings)))


def test_fresh_instance_still_makes_its_keys(cli: CliRunner, settings: Settings) -> None:
    assert not _keyring_path(settings).exists()
    _demo(cli)
    assert _keyring_path(settings).exists()


def test_file_deleted_or_spoilt_under_the_app_is_never_a_500(settings: Settings) -> None:
    application = create_app(settings)
    try:
        with TestClient(application, raise_server_exceptions=False) as client:
            token = register(client)
            offer = merchant_with_offer(client, token)
            text = issue(client, token, offer["id"])
            path = _keyring_path(settings)
            ring = application.state.rc.keyring
            for spoil in (path.unlink, lambda: path.write_text("{oops")):
                spoil()
                ring._checked = 0.0  # as if the refresh interval had passed
                assert client.post("/api/v1/scan", json={"text": text}).json()["verdict"] == "ours"
                again = client.post(
                    f"/api/v1/offers/{offer['id']}/codes", json={}, headers=auth(token)
                )
                assert again.status_code == 201, again.text
                page = client.get("/C/" + text.rsplit("/", 1)[-1])
                assert page.status_code == 200
    finally:
        application.state.rc.scans.close()
        application.state.rc.db.dispose()


def test_import_refuses_a_keyring_lacking_the_codes_keys(
    cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    """A backup without HMAC key 1 would leave every code printed so far scanning as
    forged: one line, unless --force, which then says what it gave up."""
    from relaycode.codes.keys import Keyring

    demo = _demo(cli)
    code = demo["offers"][0]["code"]
    other = Keyring(tmp_path / "other" / "keys" / "keyring.json")
    other.rotate()
    assert other.retire("1")  # its live HMAC key is 2 only
    _keyring_path(settings).unlink()
    line = _one_line_error(cli, "keys", "import", str(other.path))
    assert "codes in the database were made with HMAC key 1" in line and "--force" in line
    assert not _keyring_path(settings).exists()
    result = cli.invoke(app, ["keys", "import", str(other.path), "--force"])
    assert result.exit_code == 0, result.output
    # The demo's codes: three offers', the game's and its three shares (docs/games.md),
    # the bank bill's and the concert ticket's printed codes (docs/credentials.md), the
    # shop's payment code
    # (docs/receipts.md). Rich wraps at the terminal's width.
    said = " ".join(result.output.split())
    assert "installed" in said and "warning: 10 codes" in said, said
    assert cli.invoke(app, ["codes", "inspect", code]).exit_code == 1  # as it said


def test_export_through_planted_names_is_refused_or_harmless(
    cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    """ln -s victim DIR/.bk.json.tmp; keys export DIR/bk.json overwrote the victim."""
    _demo(cli)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "shared"
    out.mkdir()
    (out / ".bk.json.tmp").symlink_to(victim)
    assert cli.invoke(app, ["keys", "export", str(out / "bk.json")]).exit_code == 0
    assert victim.read_text() == "precious" and not (out / "bk.json").is_symlink()
    (out / "adir").mkdir()
    assert "is a directory" in _one_line_error(cli, "keys", "export", str(out / "adir"), "--force")
    (out / "link.json").symlink_to(victim)
    line = _one_line_error(cli, "keys", "export", str(out / "link.json"), "--force")
    assert "symbolic link" in line and victim.read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == [".bk.json.tmp", "adir", "bk.json", "link.json"]
    assert list((out / "adir").iterdir()) == []

"""``relaycode verify`` with hostile input: files that are not what they claim, absurd
times, texts that are no code. A reason and an exit status (1 or 2), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth
from typer.testing import CliRunner

from relaycode.cli.main import app


@pytest.fixture
def world(client: TestClient) -> World:
    return make_world(client)


def _signed(client: TestClient, world: World) -> str:
    cid, _ = world.credential(client, world.template(client))
    r = client.get(f"/api/v1/credentials/{cid}/presentation?form=signed", headers=auth(world.alice))
    text: str = r.json()["text"]
    return text


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000,
        '{"revoked":' * 50_000,
        '{"revoked": 5}',
        '{"revoked": [{"cti": {}}]}',
        "\ufeff{",
    ],
)
def test_a_revocation_file_that_is_not_one(
    cli: CliRunner, client: TestClient, world: World, tmp_path: Path, body: str
) -> None:
    signed = _signed(client, world)
    bad = tmp_path / "revocations.json"
    bad.write_text(body, encoding="utf-8")
    result = cli.invoke(app, ["verify", signed, "--offline", "--revocations", str(bad)])
    assert result.exit_code == 2, (result.exit_code, result.output[-300:], result.exception)
    assert "revocation list" in result.output


@pytest.mark.parametrize("at", ["-1", "0", str(2**40), str(2**70)])
def test_absurd_times(cli: CliRunner, client: TestClient, world: World, at: str) -> None:
    signed = _signed(client, world)
    result = cli.invoke(app, ["verify", signed, "--offline", "--at", at, "--json"])
    assert result.exit_code in (1, 2), (result.exit_code, result.output[-300:], result.exception)
    if result.exit_code == 1:
        assert json.loads(result.stdout)["verdict"] == "invalid"


@pytest.mark.parametrize("text", ["CR1:", "CR4:" + "%" * 3000, "CR1:\x00", "https://rc.test/V/!!"])
def test_texts_that_are_no_code(cli: CliRunner, text: str) -> None:
    result = cli.invoke(app, ["verify", text, "--offline", "--json"])
    assert result.exit_code == 1, (result.exit_code, result.output[-300:], result.exception)
    assert json.loads(result.stdout)["verdict"] == "invalid"


def test_a_revocation_file_saved_with_a_bom(
    cli: CliRunner, client: TestClient, world: World, tmp_path: Path
) -> None:
    cid, _ = world.credential(client, world.template(client))
    url = f"/api/v1/credentials/{cid}/presentation?form=signed"
    signed = client.get(url, headers=auth(world.alice)).json()["text"]
    assert client.post(f"/api/v1/credentials/{cid}/revoke", headers=auth(world.owner)).is_success
    saved = tmp_path / "revocations.json"
    saved.write_text("\ufeff" + client.get("/api/v1/revocations").text, encoding="utf-8")
    result = cli.invoke(app, ["verify", signed, "--offline", "--revocations", str(saved), "--json"])
    assert result.exit_code == 1, result.output[-300:]
    assert json.loads(result.stdout)["reason"] == "revoked"

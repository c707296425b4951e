"""``relaycode admin create-operator`` and the demo's operator: never made by a sign-up."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from helpers import auth, register
from typer.testing import CliRunner

from relaycode.cli.demo import DEMO_PASSWORD
from relaycode.cli.main import app


def run(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _is_operator(client: TestClient, username: str, password: str) -> bool:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    me = client.get("/api/v1/me", headers=auth(r.json()["token"])).json()
    result: bool = me["is_operator"]
    return result


def test_creates_an_operator_from_stdin(cli: CliRunner, client: TestClient) -> None:
    result = cli.invoke(
        app, ["admin", "create-operator", "Root-Admin", "--password-stdin"],
        input="s3cret-enough\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "root-admin: created as operator"
    assert _is_operator(client, "root-admin", "s3cret-enough")


def test_prompts_twice_for_a_new_account(cli: CliRunner, client: TestClient) -> None:
    typed = "pass-word-1\npass-word-1\n"  # asked twice
    result = cli.invoke(app, ["admin", "create-operator", "ops"], input=typed)
    assert result.exit_code == 0, result.output
    assert "ops: created as operator" in result.output
    assert _is_operator(client, "ops", "pass-word-1")


def test_promotes_an_existing_user_once(cli: CliRunner, client: TestClient) -> None:
    register(client, "bob", "bob-password")
    assert not _is_operator(client, "bob", "bob-password")
    assert run(cli, "admin", "create-operator", "BOB").strip() == "bob: promoted to operator"
    assert _is_operator(client, "bob", "bob-password")
    assert run(cli, "admin", "create-operator", "bob").strip() == "bob: already an operator"


@pytest.mark.parametrize(
    ("argv", "stdin", "says"),
    [
        (["x", "--password-stdin"], "long-enough-1\n", "username"),
        (["newbie", "--password-stdin"], "short\n", "password"),
        (["newbie", "--password-stdin"], "", "password"),
        (["bob", "--password-stdin"], "bob-password-2\n", "exists"),
    ],
)
def test_refusals_are_one_line_with_exit_1(
    cli: CliRunner,
    client: TestClient,
    argv: list[str],
    stdin: str,
    says: str,
) -> None:
    register(client, "bob", "bob-password")
    result = cli.invoke(app, ["admin", "create-operator", *argv], input=stdin)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert not _is_operator(client, "bob", "bob-password")


def test_missing_username_is_a_usage_error(
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from relaycode.cli.main import main

    monkeypatch.setattr("sys.argv", ["relaycode", "admin", "create-operator"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_demo_seeds_its_own_operator(cli: CliRunner, client: TestClient) -> None:
    seeded = json.loads(run(cli, "demo", "--json"))
    assert seeded["operator"]["username"] == "operator"
    assert _is_operator(client, "operator", DEMO_PASSWORD)
    for name in seeded["users"]:
        assert not _is_operator(client, name, DEMO_PASSWORD)
    # Seeding again changes nothing, and a fresh sign-up is still nobody's operator.
    assert json.loads(run(cli, "demo", "--json")) == seeded
    assert (
        client.get("/api/v1/me", headers=auth(register(client, "stranger"))).json()["is_operator"]
        is False
    )

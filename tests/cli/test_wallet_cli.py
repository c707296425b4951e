"""``relaycode wallet grant`` and ``relaycode ledger check`` on the command line."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from helpers import auth, register
from typer.testing import CliRunner

from relaycode.cli.main import app
from relaycode.config import Settings
from relaycode.db.engine import make_engine


def _balances(client: TestClient, token: str) -> dict[str, int]:
    r = client.get("/api/v1/me/wallet", headers=auth(token))
    assert r.status_code == 200, r.text
    return {b["currency"]: b["balance_minor"] for b in r.json()["balances"]}


def test_a_grant_credits_the_wallet_and_prints_the_balance(
    cli: CliRunner, client: TestClient
) -> None:
    token = register(client, "bob")
    first = cli.invoke(app, ["wallet", "grant", "BOB", "5000", "cny"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == (
        "granted CN¥50.00 to bob: balance CN¥50.00 (5000 CNY, transaction 1)"
    )
    second = cli.invoke(app, ["wallet", "grant", "bob", "250", "CNY", "--json"])
    assert second.exit_code == 0, second.output
    assert json.loads(second.output) == {
        "username": "bob",
        "currency": "CNY",
        "amount_minor": 250,
        "balance_minor": 5250,
        "transaction_id": 2,
    }
    assert _balances(client, token) == {"CNY": 5250}


def test_a_grant_with_a_key_happens_once(cli: CliRunner, client: TestClient) -> None:
    token = register(client, "bob")
    args = ["wallet", "grant", "bob", "7", "JPY", "--idempotency-key", "ticket-1", "--json"]
    once = cli.invoke(app, args)
    twice = cli.invoke(app, args)
    assert once.exit_code == twice.exit_code == 0, twice.output
    assert json.loads(once.output) == json.loads(twice.output)
    assert _balances(client, token) == {"JPY": 7}
    other = cli.invoke(app, ["wallet", "grant", "bob", "8", "JPY", "--idempotency-key", "ticket-1"])
    assert other.exit_code == 1 and "idempotency_key_reused" in other.output


@pytest.mark.parametrize(
    ("argv", "says", "status"),
    [
        (["nobody", "5", "CNY"], "no user 'nobody' (user_not_found)", 1),
        (["bob", "5", "XYZ"], "unknown currency 'XYZ' (unknown_currency)", 1),
        (["bob", "5", "XAU"], "(unknown_currency)", 1),
        (["bob", "0", "CNY"], "(invalid_amount)", 1),
        (["bob", "-5", "CNY"], "(invalid_amount)", 1),
        (["bob", "1000000000001", "CNY"], "(invalid_amount)", 1),
    ],
)
def test_refusals_are_one_line(
    cli: CliRunner, client: TestClient, argv: list[str], says: str, status: int
) -> None:
    token = register(client, "bob")
    result = cli.invoke(app, ["wallet", "grant", *argv])
    assert result.exit_code == status, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert _balances(client, token) == {}


@pytest.mark.parametrize(
    ("argv", "says"),
    [(["bob", "1.5", "CNY"], "valid integer"), (["bob", "5"], "Missing argument")],
)
def test_usage_errors_are_one_line_with_exit_2(
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    says: str,
) -> None:
    from relaycode.cli.main import main

    monkeypatch.setattr("sys.argv", ["relaycode", "wallet", "grant", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and says in err[0], err


def test_ledger_check_exits_0_only_when_consistent(
    cli: CliRunner, client: TestClient, settings: Settings
) -> None:
    register(client, "bob")
    empty = cli.invoke(app, ["ledger", "check"])
    assert empty.exit_code == 0 and empty.output.strip() == (
        "ledger ok: 0 transactions, 0 entries, 0 accounts"
    )
    assert cli.invoke(app, ["wallet", "grant", "bob", "400", "CNY"]).exit_code == 0
    ok = cli.invoke(app, ["ledger", "check", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output) == {
        "ok": True,
        "counts": {"accounts": 2, "transactions": 1, "entries": 2, "problems": 0},
        "problems": [],
    }
    engine = make_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE ledger_accounts SET balance_minor = 1 WHERE kind = 'user_wallet'")
        )
    engine.dispose()
    bad = cli.invoke(app, ["ledger", "check"])
    assert bad.exit_code == 1
    lines = bad.output.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("problem: account ") and "sum to 400" in lines[0]
    assert lines[-1] == "ledger NOT consistent: 1 problem(s)"
    bad_json = cli.invoke(app, ["ledger", "check", "--json"])
    assert bad_json.exit_code == 1
    report = json.loads(bad_json.output)
    assert report["ok"] is False and report["counts"]["problems"] == 1
    assert report["problems"][0]["check"] == "balance_mismatch"
    assert report["problems"][0]["balance_minor"] == 1

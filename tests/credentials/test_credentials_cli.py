"""``relaycode demo --json``'s credentials, ``credentials issue`` / ``issue-csv`` and
``verify``: the demo's holder claims, the teller redeems, the CLI tells valid from not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth
from typer.testing import CliRunner

from relaycode.cli.main import app


def _json(cli: CliRunner, *args: str) -> tuple[int, Any]:
    result = cli.invoke(app, list(args))
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.output


def test_demo_issue_claim_verify_redeem(cli: CliRunner, client: TestClient, tmp_path: Path) -> None:
    rc, demo = _json(cli, "demo", "--json")
    assert rc == 0
    creds = demo["credentials"]
    again = _json(cli, "demo", "--json")[1]["credentials"]
    assert again == creds  # idempotent
    holder, second, teller = creds["holder"], creds["second"], creds["verifier"]
    assert second["phone"] and holder["username"] != second["username"]
    rc, issued = _json(
        cli,
        "credentials",
        "issue",
        "--template",
        str(creds["template_id"]),
        "--holder",
        holder["username"],
        "--field",
        "amount=1250",
        "--field",
        "drawer=Tea",
        "--json",
    )
    assert rc == 0 and isinstance(issued["id"], int) and "/C/" in issued["text"]
    claimed = client.post(
        "/api/v1/claims", json={"text": issued["text"]}, headers=auth(holder["token"])
    )
    assert claimed.status_code == 201, claimed.text
    cid = claimed.json()["id"]
    text = client.get(
        f"/api/v1/credentials/{cid}/presentation", headers=auth(holder["token"])
    ).json()["text"]
    rc, verdict = _json(cli, "verify", text, "--json")
    assert rc == 0 and verdict["verdict"] == "valid" and verdict["mode"] == "online"
    signed = client.get(
        f"/api/v1/credentials/{cid}/presentation?form=signed", headers=auth(holder["token"])
    ).json()["text"]
    assert signed.startswith("CR1:")
    rc, verdict = _json(cli, "verify", signed, "--json", "--offline")
    assert rc == 0 and (verdict["verdict"], verdict["mode"]) == ("valid", "offline")
    assert verdict["credential_id"] == cid
    rc, verdict = _json(cli, "verify", signed, "--json", "--offline")
    assert verdict["revocation_list"] == "instance"
    rc, verdict = _json(cli, "verify", text, "--json", "--offline")  # format 1: online only
    assert rc == 1 and (verdict["verdict"], verdict["reason"]) == ("invalid", "online_only")
    r = client.post(
        "/api/v1/redemptions", json={"text": text, "nonce": "cli"}, headers=auth(teller["token"])
    )
    assert r.status_code == 201, r.text
    for presented in (text, signed):
        rc, verdict = _json(cli, "verify", presented, "--json")
        assert rc == 1 and (verdict["verdict"], verdict["reason"]) == (
            "invalid",
            "already_redeemed",
        )
    rc, verdict = _json(cli, "verify", "hello", "--json")
    assert rc == 1 and verdict["verdict"] == "invalid"
    sheet = tmp_path / "bills.csv"
    sheet.write_text(f"holder,amount,drawer\n{holder['username']},100,A\n+86 139 0000 0001,5,B\n")
    result = cli.invoke(
        app,
        ["credentials", "issue-csv", "--template", str(creds["template_id"]), str(sheet), "--json"],
    )
    assert result.exit_code == 0, result.output
    assert len([x for x in result.stdout.splitlines() if x.startswith("{")]) == 2
    sheet.write_text("holder,amount,drawer\nnobody-here,100,A\n")
    result = cli.invoke(
        app, ["credentials", "issue-csv", "--template", str(creds["template_id"]), str(sheet)]
    )
    assert result.exit_code == 1


def test_offline_verify_refuses_an_endorsed_credential_once_its_list_is_current(
    cli: CliRunner, client: TestClient, tmp_path: Path
) -> None:
    """The bank-bill story's last step: A endorsed the bill to B by B's phone number; A's
    old signed credential still has a good signature, but a verifier with a current
    revocation list refuses it offline (saved list, or this instance's)."""
    creds = _json(cli, "demo", "--json")[1]["credentials"]
    holder, second = creds["holder"], creds["second"]
    rc, issued = _json(cli, "credentials", "issue", "--template", str(creds["template_id"]),
                       "--holder", holder["username"], "--field", "amount=900",
                       "--field", "drawer=Tea", "--json")  # fmt: skip
    cid = client.post(
        "/api/v1/claims", json={"text": issued["text"]}, headers=auth(holder["token"])
    ).json()["id"]
    url = f"/api/v1/credentials/{cid}/presentation?form=signed"
    signed = client.get(url, headers=auth(holder["token"])).json()["text"]
    stale = tmp_path / "revocations-before.json"
    stale.write_text(client.get("/api/v1/revocations?since=0").text)
    r = client.post(
        f"/api/v1/credentials/{cid}/endorse", json={"to": second["phone"]},
        headers=auth(holder["token"]),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    mine = client.get("/api/v1/me/credentials", headers=auth(second["token"])).json()["items"]
    assert r.json()["id"] in [c["id"] for c in mine]  # B received it by phone number
    current = tmp_path / "revocations.json"
    current.write_text(client.get("/api/v1/revocations?since=0").text)
    rc, v = _json(cli, "verify", signed, "--offline", "--revocations", str(stale), "--json")
    assert rc == 0 and v["verdict"] == "valid"  # a list synced before: it cannot know
    for extra in (["--revocations", str(current)], []):
        rc, v = _json(cli, "verify", signed, "--offline", *extra, "--json")
        assert rc == 1 and (v["verdict"], v["reason"]) == ("invalid", "revoked"), v
    assert v["revocation_list"] == "instance"
    current.write_text("not json")
    assert _json(cli, "verify", signed, "--offline", "--revocations", str(current))[0] == 2


def test_the_ticket_at_the_door(cli: CliRunner, client: TestClient) -> None:
    """The demo's door story: the holder claims the concert ticket, shows its rotating
    code, the teller lets them in once; the second time the door says already_redeemed."""
    creds = _json(cli, "demo", "--json")[1]["credentials"]
    ticket, holder, teller = creds["ticket"], creds["holder"], creds["verifier"]
    assert _json(cli, "demo", "--json")[1]["credentials"]["ticket"] == ticket  # idempotent
    r = client.post(
        "/api/v1/claims", json={"text": ticket["item"]["text"]}, headers=auth(holder["token"])
    )
    assert r.status_code in (200, 201), r.text
    url = f"/api/v1/credentials/{r.json()['id']}/presentation?form=rotating"
    shown = client.get(url, headers=auth(holder["token"])).json()["text"]
    assert shown.startswith("CR4:")
    door = {"Authorization": f"Bearer {teller['token']}"}
    first = client.post("/api/v1/redemptions", json={"text": shown, "nonce": "d1"}, headers=door)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/redemptions", json={"text": shown, "nonce": "d2"}, headers=door)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_redeemed"


def test_a_missing_field_is_named(cli: CliRunner) -> None:
    # README step 9's line once left out the bill's required drawer: the one-line error
    # must say which field, not only "some field values are not valid".
    rc, demo = _json(cli, "demo", "--json")
    assert rc == 0
    args = ["credentials", "issue", "--template", str(demo["credentials"]["template_id"])]
    result = cli.invoke(app, [*args, "--holder", "dora", "--field", "amount=50000"])
    assert result.exit_code == 1
    line = result.output.strip()
    assert "invalid_fields" in line and "drawer" in line and len(line.splitlines()) == 1

"""``relaycode demo --json``: the referral tour's people with bearer tokens, and a buyer
whose wallet was topped up through the ledger, once, however often the demo runs."""

from __future__ import annotations

import json
import stat
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth
from typer.testing import CliRunner

from relaycode.cli.main import app
from relaycode.config import Settings


def _demo(cli: CliRunner) -> dict[str, Any]:
    result = cli.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def _me(client: TestClient, token: str) -> str:
    r = client.get("/api/v1/me", headers=auth(token))
    assert r.status_code == 200, r.text
    name: str = r.json()["username"]
    return name


def test_the_demo_names_the_tour_and_its_tokens(
    cli: CliRunner, client: TestClient, settings: Settings
) -> None:
    demo = _demo(cli)
    merchant, referrer, buyer = demo["merchant"], demo["referrer"], demo["buyer"]
    assert merchant["username"] == "merchant" and isinstance(merchant["id"], int)
    assert (referrer["username"], buyer["username"]) == ("alice", "bob")
    assert _me(client, merchant["token"]) == "merchant"
    assert _me(client, referrer["token"]) == "alice"
    assert _me(client, buyer["token"]) == "bob"
    # The merchant's token acts as its owner on the API.
    offers = client.get(
        f"/api/v1/merchants/{merchant['slug']}/offers", headers=auth(merchant["token"])
    )
    # The three of "offers", and the combining game's (under "game": docs/games.md).
    assert offers.status_code == 200 and len(offers.json()["items"]) == 4
    assert len(demo["offers"]) == 3 and demo["game"]["offer_id"] not in {
        o["id"] for o in demo["offers"]
    }
    assert demo["offers"][0]["id"] and demo["offers"][0]["code"]  # still there
    water = client.post("/api/v1/scan", json={"text": demo["game"]["water"]}).json()["game"]
    assert water["composition"] == {"O": 1, "H": 2}
    assert water["result"]["title"] == "Water · 水"
    wallet = client.get("/api/v1/me/wallet", headers=auth(buyer["token"])).json()
    assert wallet == {"balances": [{"currency": "CNY", "balance_minor": 100_000}]}
    assert buyer["wallet"] == {"currency": "CNY", "balance_minor": 100_000}
    # Added by receipts (docs/receipts.md): the merchant's payment code answers "pay".
    paycode = demo["payment_code"]
    assert isinstance(paycode["id"], int) and paycode["text"]
    scanned = client.post("/api/v1/scan", json={"text": paycode["text"]}).json()
    assert scanned["action"] == "pay" and scanned["payment"]["id"] == paycode["id"]
    assert scanned["payment"]["payee"] == merchant["name"]
    saved = settings.data_dir / "demo-tokens.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600


def test_running_the_demo_again_tops_up_nothing_more(cli: CliRunner, client: TestClient) -> None:
    first = _demo(cli)
    again = _demo(cli)
    assert again == first  # the same tokens, the same balance
    entries = client.get("/api/v1/me/wallet/entries", headers=auth(first["buyer"]["token"]))
    assert [e["amount_minor"] for e in entries.json()["items"]] == [100_000]
    check = cli.invoke(app, ["ledger", "check"])
    assert check.exit_code == 0, check.output


def test_a_revoked_demo_token_is_replaced(cli: CliRunner, client: TestClient) -> None:
    first = _demo(cli)
    old = first["referrer"]["token"]
    assert client.post("/api/v1/auth/logout", headers=auth(old)).status_code == 204
    again = _demo(cli)
    new = again["referrer"]["token"]
    assert new != old and _me(client, new) == "alice"
    assert client.get("/api/v1/me", headers=auth(old)).status_code == 401
    assert again["buyer"]["token"] == first["buyer"]["token"]


def test_the_demo_merchant_pays_its_sharers_and_keeps_changed_rules(
    cli: CliRunner, client: TestClient
) -> None:
    demo = _demo(cli)
    owner, slug = auth(demo["merchant"]["token"]), demo["merchant"]["slug"]
    r = client.get(f"/api/v1/merchants/{slug}/commission-rules", headers=owner)
    assert r.status_code == 200, r.text
    rules = r.json()["rules"]
    assert rules["levels"][0]["percent_bp"] == 1000 and rules["max_depth"] == 1
    changed = {"currency": "CNY", "levels": [{"percent_bp": 500}], "max_depth": 1}
    r = client.put(f"/api/v1/merchants/{slug}/commission-rules", json=changed, headers=owner)
    assert r.status_code == 200, r.text
    _demo(cli)  # a second run leaves the merchant's own choice alone
    r = client.get(f"/api/v1/merchants/{slug}/commission-rules", headers=owner)
    assert r.json()["rules"]["levels"][0]["percent_bp"] == 500

"""The issue's three stories on the demo's own data (README tour step 8), through the API
and the command line, as a newcomer would walk them:

- the bank bill: dora claims it, endorses it to evan by his phone number, the teller pairs
  the paper bill with evan's code and pays out; dora's old code and a second payout are
  refused (online, and ``relaycode verify --offline`` with this instance's lists);
- the concert ticket at the hall's door: in once, the second time refused;
- the tea house's payment code: bob pays, gets a signed receipt that the shop verifies,
  offline too."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth
from typer.testing import CliRunner

from relaycode.cli.main import app


def _demo(cli: CliRunner) -> dict[str, Any]:
    result = cli.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def _offline(cli: CliRunner, text: str) -> dict[str, Any]:
    result = cli.invoke(app, ["verify", text, "--offline", "--json"])
    doc: dict[str, Any] = json.loads(result.output)
    assert result.exit_code == (0 if doc["verdict"] == "valid" else 1), result.output
    return doc


def _claim(client: TestClient, token: str, text: str) -> str:
    r = client.post("/api/v1/claims", json={"text": text}, headers=auth(token))
    assert r.status_code == 201, r.text
    cid: str = r.json()["id"]
    return cid


def _signed(client: TestClient, token: str, cid: str) -> str:
    url = f"/api/v1/credentials/{cid}/presentation?form=signed"
    r = client.get(url, headers=auth(token))
    assert r.status_code == 200, r.text
    text: str = r.json()["text"]
    return text


def _verdict(client: TestClient, token: str, text: str, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/verifications", json={"text": text, **extra}, headers=auth(token))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _redeem(client: TestClient, token: str, text: str) -> Any:
    body = {"text": text, "nonce": uuid.uuid4().hex, "station": "counter-1"}
    return client.post("/api/v1/redemptions", json=body, headers=auth(token))


def test_the_bank_bill_story(cli: CliRunner, client: TestClient) -> None:
    creds = _demo(cli)["credentials"]
    dora, evan = creds["holder"]["token"], creds["second"]["token"]
    teller, bill = creds["verifier"]["token"], creds["item"]["text"]
    # Someone else scanning dora's bill is refused without learning whose it is.
    r = client.post("/api/v1/claims", json={"text": bill}, headers=auth(evan))
    assert r.status_code == 403 and "dora" not in r.text
    old_id = _claim(client, dora, bill)
    old = _signed(client, dora, old_id)
    assert _verdict(client, teller, old)["verdict"] == "valid"
    r = client.post(f"/api/v1/credentials/{old_id}/endorse", json={"to": "+86 138 0013 8000"},
                    headers=auth(dora))  # fmt: skip
    assert r.status_code in (200, 201), r.text
    mine = client.get("/api/v1/me/credentials", headers=auth(evan)).json()["items"]
    [new] = [c for c in mine if c["status"] == "active"]
    assert new["generation"] == 1 and new["parent_id"] == old_id
    assert new["template"]["currency"] == "CNY"  # 500000 minor units: 5,000.00
    evans = _signed(client, evan, new["id"])
    pair = _verdict(client, teller, evans, item_text=bill)
    assert (pair["verdict"], pair["pair"]) == ("valid", "match")
    assert _redeem(client, teller, evans).status_code == 201
    second = _redeem(client, teller, evans)
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_redeemed"
    assert _verdict(client, teller, old)["reason"] == "revoked"
    assert _offline(cli, old)["reason"] == "revoked"  # the instance's revocation list


def test_the_ticket_at_the_door(cli: CliRunner, client: TestClient) -> None:
    creds = _demo(cli)["credentials"]
    dora, teller = creds["holder"]["token"], creds["verifier"]["token"]
    ticket = _claim(client, dora, creds["ticket"]["item"]["text"])
    text = _signed(client, dora, ticket)
    assert _offline(cli, text)["verdict"] == "valid"  # the door can check it with no network
    shown = _verdict(client, teller, text)
    assert shown["verdict"] == "valid" and shown["credential"]["fields"]["seat"] == "A-12"
    assert _redeem(client, teller, text).status_code == 201
    again = _redeem(client, teller, text)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_redeemed"


def test_the_receipt_at_the_shop_counter(cli: CliRunner, client: TestClient) -> None:
    demo = _demo(cli)
    bob, shop = demo["buyer"]["token"], demo["merchant"]["token"]
    body = {"code": demo["payment_code"]["text"], "amount": 1250, "payment_method": "wallet"}
    headers = {**auth(bob), "Idempotency-Key": "counter-" + uuid.uuid4().hex}
    paid = client.post("/api/v1/payment-codes/pay", json=body, headers=headers)
    assert paid.status_code == 201, paid.text
    receipt = paid.json()["receipt"]["text"]
    assert receipt.startswith("CR1:")
    shown = _verdict(client, shop, receipt)
    assert shown["verdict"] == "valid" and 1250 in shown["credential"]["fields"].values()
    assert _offline(cli, receipt)["verdict"] == "valid"
    # The same key again is the same payment: no second charge, the same receipt (its
    # signed text is made afresh, so its iat / exp may differ by the second).
    again = client.post("/api/v1/payment-codes/pay", json=body, headers=headers)
    assert again.status_code == 200, again.text
    first, second = paid.json()["receipt"], again.json()["receipt"]
    assert second["credential_id"] == first["credential_id"]
    assert _verdict(client, shop, second["text"])["credential"]["id"] == first["credential_id"]


def test_the_plain_demo_output_names_step_8s_people_and_places(cli: CliRunner) -> None:
    # make run shows this (piped, so rich would wrap at 80 columns): each code and
    # station address whole on its own line, so a newcomer can copy it.
    data = _demo(cli)
    result = cli.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert f"the bill: {data['credentials']['item']['text']}" in lines
    assert data["game"]["water"] in lines
    assert any(x.endswith("/dashboard/m/demo-bank/station") for x in lines)
    assert any(x.endswith("/dashboard/m/demo-hall/station") for x in lines)
    assert any("evan (+8613800138000)" in x for x in lines)

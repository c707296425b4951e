"""Paying a shop's payment code with the wallet, the signed receipt (offline and online),
idempotency, insufficient funds and hostile input (Fig. 11)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth
from order_support import balance, fund, ledger_ok
from receipt_support import make_shop, pay
from sqlalchemy import func, select

from relaycode.models import Credential, LedgerTransaction, ShopPayment


def _count(app: Any, model: Any) -> int:
    with app.state.rc.db.read_transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_pay_gets_a_signed_receipt_that_verifies(client: TestClient, app: Any) -> None:
    db = app.state.rc.db
    shop = make_shop(client)
    fund(db, "alice", 10_000)
    r = pay(client, shop.alice, shop.code, 1250, "k1")
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["payment"]["amount_minor"] == 1250 and out["payment"]["currency"] == "CNY"
    assert out["payment"]["payee"] == "Cafe Lu" and out["payment"]["status"] == "paid"
    assert out["receipt"]["text"].startswith("CR1:")
    assert balance(db, "alice") == 10_000 - 1250
    with db.read_transaction() as s:
        kinds = s.scalars(select(LedgerTransaction.kind)).all()
        assert list(kinds).count("shop_payment") == 1
    ledger_ok(db)
    # The teller verifies the signed receipt online, and its reference code.
    for text in (out["receipt"]["text"], out["receipt"]["reference_text"]):
        v = client.post("/api/v1/verifications", json={"text": text}, headers=auth(shop.teller))
        assert v.status_code == 200, v.text
        assert v.json()["verdict"] == "valid", v.json()
    # The receipt's fields are what was paid.
    c = client.get(
        f"/api/v1/credentials/{out['receipt']['credential_id']}", headers=auth(shop.alice)
    )
    assert c.status_code == 200, c.text
    fields = c.json()["fields"]
    assert fields["amount"] == 1250 and fields["payee"] == "Cafe Lu"
    assert fields["reference"] == out["payment"]["reference"]
    # The inbox tells the payer.
    inbox = client.get("/api/v1/me/inbox", headers=auth(shop.alice)).json()
    assert any(i["kind"] == "receipt_issued" for i in inbox["items"]), inbox


def test_receipt_verifies_offline_with_the_cli(client: TestClient, app: Any, cli: Any) -> None:
    from relaycode.cli.main import app as cli_app

    shop = make_shop(client)
    fund(app.state.rc.db, "alice", 5_000)
    text = pay(client, shop.alice, shop.code, 300, "k-off").json()["receipt"]["text"]
    done = cli.invoke(cli_app, ["verify", text, "--offline", "--json"])
    assert done.exit_code == 0, done.output
    answer = json.loads(done.output)
    assert answer["verdict"] == "valid" and answer["mode"] == "offline", answer


def test_same_key_same_payment_other_body_refused(client: TestClient, app: Any) -> None:
    shop = make_shop(client)
    fund(app.state.rc.db, "alice", 10_000)
    first = pay(client, shop.alice, shop.code, 500, "same")
    again = pay(client, shop.alice, shop.code, 500, "same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["payment"]["id"] == again.json()["payment"]["id"]
    assert first.json()["receipt"]["credential_id"] == again.json()["receipt"]["credential_id"]
    other = pay(client, shop.alice, shop.code, 501, "same")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert balance(app.state.rc.db, "alice") == 9_500
    assert _count(app, ShopPayment) == 1


def test_insufficient_funds_records_nothing(client: TestClient, app: Any) -> None:
    shop = make_shop(client)
    fund(app.state.rc.db, "alice", 100)
    r = pay(client, shop.alice, shop.code, 101, "poor")
    assert r.status_code == 409 and r.json()["error"]["code"] == "insufficient_funds", r.text
    assert _count(app, ShopPayment) == 0
    assert _count(app, Credential) == 0
    assert balance(app.state.rc.db, "alice") == 100
    ledger_ok(app.state.rc.db)


@pytest.mark.parametrize(
    "amount", [0, -1, -(10**18), 10**13, 10**40, 1.5, "12", True, None, [1], {"a": 1}]
)
def test_hostile_amounts_are_4xx(client: TestClient, app: Any, amount: Any) -> None:
    shop = make_shop(client)
    fund(app.state.rc.db, "alice", 10_000)
    r = pay(client, shop.alice, shop.code, amount, "hostile")
    assert 400 <= r.status_code < 500, r.text
    assert _count(app, ShopPayment) == 0


@pytest.mark.parametrize("code", ["", "x" * 3000, "hello", "https://evil.example/C/abc", "\x00"])
def test_hostile_codes_are_4xx(client: TestClient, app: Any, code: str) -> None:
    shop = make_shop(client)
    fund(app.state.rc.db, "alice", 10_000)
    r = pay(client, shop.alice, code, 100, "hostile-code")
    assert 400 <= r.status_code < 500, r.text


def test_an_offer_code_or_a_wrong_method_is_refused(client: TestClient, app: Any) -> None:
    shop = make_shop(client)
    fund(app.state.rc.db, "alice", 10_000)
    r = pay(client, shop.alice, shop.code, 100, "card", payment_method="card")
    assert r.status_code == 422 and r.json()["error"]["code"] == "payment_method_unavailable"
    r = client.post(
        "/api/v1/payment-codes/pay",
        json={"code": shop.code, "amount": 100},
        headers=auth(shop.alice),
    )
    assert r.status_code == 422  # no Idempotency-Key


def test_payment_code_images(client: TestClient) -> None:
    shop = make_shop(client)
    for fmt, magic in (("png", b"\x89PNG"), ("svg", b"<"), ("pdf", b"%PDF")):
        r = client.get(
            f"/api/v1/payment-codes/{shop.code_id}/image.{fmt}", headers=auth(shop.owner)
        )
        assert r.status_code == 200 and r.content.lstrip()[: len(magic)] == magic
    r = client.get(f"/api/v1/payment-codes/{shop.code_id}", headers=auth(shop.alice))
    assert r.status_code == 404

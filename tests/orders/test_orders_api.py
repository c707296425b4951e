"""Orders through the API: placing one (wallet), idempotency, reading, listing, states."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, register
from order_support import ORDERS, balance, error, fund, ledger_ok, order, shop


def test_a_wallet_order_is_paid_at_once(client: TestClient, app: Any) -> None:
    s = shop(client)
    bob = register(client, "bob")
    fund(app.state.rc.db, "bob", 5000)
    r = order(client, bob, s.code, "k1", quantity=2)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "paid" and body["amount"] == 2500 and body["quantity"] == 2
    assert body["currency"] == "CNY" and body["offer_id"] == s.offer["id"]
    assert body["code"] == s.code and body["payment"]["provider"] == "wallet"
    assert body["payment"]["status"] == "succeeded" and body["created"] is True
    assert balance(app.state.rc.db, "bob") == 2500
    again = order(client, bob, s.code, "k1", quantity=2)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert again.json()["created"] is False
    assert balance(app.state.rc.db, "bob") == 2500
    other = order(client, bob, s.code, "k1", quantity=3)
    assert other.status_code == 422 and error(other) == "idempotency_key_reused"
    got = client.get(f"{ORDERS}/{body['id']}", headers=auth(bob))
    assert got.status_code == 200 and got.json()["status"] == "paid"
    ledger_ok(app.state.rc.db)

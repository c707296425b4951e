"""Withdrawing a payment code (receipts/paycodes.withdraw): its code is revoked, so the
scan says so and paying through it is ``code_revoked`` (410); again, nothing changes;
the list shows each code's status."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from helpers import auth
from receipt_support import make_shop, pay

from relaycode.models import PaymentCode
from relaycode.payments import wallet
from relaycode.receipts import paycodes


def test_withdrawing_a_payment_code(client: TestClient, app: Any) -> None:
    shop = make_shop(client)
    with app.state.rc.db.transaction() as db:
        wallet.grant_to(db, "alice", 1_000, "CNY")
    assert pay(client, shop.alice, shop.code, 100, "before").status_code == 201
    scanned = client.post("/api/v1/scan", json={"text": shop.code})  # now in the answer cache
    assert scanned.json()["action"] == "pay"
    with app.state.rc.db.transaction() as db:
        pc = db.get(PaymentCode, shop.code_id)
        assert pc is not None
        assert paycodes.of_merchant(db, shop.merchant_id, cursor=None, limit=10).items == [
            (pc, "active")
        ]
        assert paycodes.withdraw(db, pc) is True
    with app.state.rc.db.transaction() as db:
        pc = db.get(PaymentCode, shop.code_id)
        assert pc is not None
        assert paycodes.withdraw(db, pc) is False  # again: harmless
        assert paycodes.of_merchant(db, shop.merchant_id, cursor=None, limit=10).items == [
            (pc, "revoked")
        ]
    r = pay(client, shop.alice, shop.code, 100, "after")
    assert r.status_code == 410 and r.json()["error"]["code"] == "code_revoked", r.text
    scanned = client.post("/api/v1/scan", json={"text": shop.code})
    assert scanned.status_code == 200 and scanned.json()["action"] != "pay", scanned.text
    # A payment made before is untouched: the same key still answers it.
    assert pay(client, shop.alice, shop.code, 100, "before").status_code == 200


def test_withdrawing_over_the_api(client: TestClient) -> None:
    """``POST /api/v1/payment-codes/{id}/withdraw``: owners and staff; a verifier and
    outsiders are refused; the JSON says ``status`` before and after; again is harmless."""
    shop = make_shop(client)
    url = f"/api/v1/payment-codes/{shop.code_id}"
    assert client.get(url, headers=auth(shop.owner)).json()["status"] == "active"
    teller = client.post(url + "/withdraw", headers=auth(shop.teller))  # a verifier
    assert teller.status_code == 403, teller.text
    outsider = client.post(url + "/withdraw", headers=auth(shop.alice))
    assert outsider.status_code == 404, outsider.text  # not told it exists
    for _ in range(2):
        r = client.post(url + "/withdraw", headers=auth(shop.owner))
        assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text
    listed = client.get(
        f"/api/v1/merchants/{shop.merchant_id}/payment-codes", headers=auth(shop.owner)
    )
    assert [pc["status"] for pc in listed.json()["items"]] == ["withdrawn"]
    r = pay(client, shop.alice, shop.code, 100, "after")
    assert r.status_code == 410 and r.json()["error"]["code"] == "code_revoked", r.text
    missing = client.post("/api/v1/payment-codes/99999/withdraw", headers=auth(shop.owner))
    assert (
        missing.status_code == 404 and missing.json()["error"]["code"] == "payment_code_not_found"
    )

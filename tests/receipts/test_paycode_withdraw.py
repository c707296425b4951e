"""Withdrawing a payment code (receipts/paycodes.withdraw): its code is revoked, so the
scan says so and paying through it is ``code_revoked`` (410); again, nothing changes;
the list shows each code's status."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
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
        assert paycodes.of_merchant(db, shop.merchant_id) == [(pc, "active")]
        assert paycodes.withdraw(db, pc) is True
    with app.state.rc.db.transaction() as db:
        pc = db.get(PaymentCode, shop.code_id)
        assert pc is not None
        assert paycodes.withdraw(db, pc) is False  # again: harmless
        assert paycodes.of_merchant(db, shop.merchant_id) == [(pc, "revoked")]
    r = pay(client, shop.alice, shop.code, 100, "after")
    assert r.status_code == 410 and r.json()["error"]["code"] == "code_revoked", r.text
    scanned = client.post("/api/v1/scan", json={"text": shop.code})
    assert scanned.status_code == 200 and scanned.json()["action"] != "pay", scanned.text
    # A payment made before is untouched: the same key still answers it.
    assert pay(client, shop.alice, shop.code, 100, "before").status_code == 200

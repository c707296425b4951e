"""Scanning a shop's payment code: kind ``payment``, action ``pay``, the payee's public
name and the methods it takes; its /C/ page offers the pay button."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from helpers import auth
from receipt_support import make_shop

from relaycode.codes.schemas import ScanOut


def test_scanning_a_payment_code_answers_pay(client: TestClient, app: Any) -> None:
    shop = make_shop(client)
    for _ in range(2):  # the second answer may come from the resolver's cache
        r = client.post("/api/v1/scan", json={"text": shop.code})
        assert r.status_code == 200, r.text
        doc = ScanOut.model_validate(r.json())
        assert doc.verdict == "ours" and doc.action == "pay"
        assert doc.code is not None and doc.code.kind == "payment"
        assert doc.payment is not None
        assert doc.payment.payee == "Cafe Lu" and doc.payment.methods == ["wallet"]
        assert doc.payment.id == shop.code_id and doc.payment.pay_url == f"/pay/{shop.code_id}"
        assert doc.payment.label == "Till 1" and doc.payment.currency == "CNY"
        assert "alice" not in r.text and "owner" not in r.text  # never who
    page = client.get("/" + shop.code.split("/", 3)[3])  # its path: /C/<token>
    assert page.status_code == 200, page.text[:300]
    assert f'href="/pay/{shop.code_id}"' in page.text and "Cafe Lu" in page.text


def test_other_codes_have_no_payment(client: TestClient) -> None:
    shop = make_shop(client)
    r = client.post(
        f"/api/v1/merchants/{shop.merchant_id}/credential-templates",
        json={"kind": "ticket", "name": "T"},
        headers=auth(shop.owner),
    )
    assert r.status_code == 201, r.text
    item = client.post(f"/api/v1/credential-templates/{r.json()['id']}/items",
                       json={"holder": "alice"}, headers=auth(shop.owner))  # fmt: skip
    doc = client.post("/api/v1/scan", json={"text": item.json()["text"]}).json()
    assert doc["action"] == "claim" and doc["payment"] is None

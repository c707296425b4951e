"""A shop with a payment code and a paying customer: the receipts tests' world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helpers import auth, register

PAY = "/api/v1/payment-codes/pay"


@dataclass
class Shop:
    owner: str
    teller: str
    alice: str
    merchant_id: int
    code: str  # the payment code's text
    code_id: int


def make_shop(client: Any, slug: str = "cafe") -> Shop:
    owner = register(client, f"{slug}-owner")
    teller = register(client, f"{slug}-teller")
    alice = register(client, "alice")
    r = client.post(
        "/api/v1/merchants", json={"slug": slug, "name": "Cafe Lu"}, headers=auth(owner)
    )
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    r = client.put(
        f"/api/v1/merchants/{slug}/members",
        json={"username": f"{slug}-teller", "role": "verifier"},
        headers=auth(owner),
    )
    assert r.status_code in (200, 201), r.text
    r = client.post(
        f"/api/v1/merchants/{mid}/payment-codes",
        json={"currency": "CNY", "methods": ["wallet"], "label": "Till 1"},
        headers=auth(owner),
    )
    assert r.status_code == 201, r.text
    return Shop(owner, teller, alice, mid, r.json()["text"], r.json()["id"])


def pay(client: Any, token: str, code: str, amount: Any, key: str, **extra: Any) -> Any:
    body = {"code": code, "amount": amount, "payment_method": "wallet", **extra}
    return client.post(PAY, json=body, headers={**auth(token), "Idempotency-Key": key})

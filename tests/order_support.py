"""Helpers for the order tests: a shop with an offer and its code, buyers with wallet
money, and order submits (plain functions, not fixtures)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from helpers import auth, issue, merchant_with_offer, register

from relaycode.db.session import Database
from relaycode.models import User
from relaycode.payments import wallet
from relaycode.payments.ledger_check import check

ORDERS = "/api/v1/orders"


@dataclass
class Shop:
    owner: str  # the owner's API token
    merchant_id: int
    offer: dict[str, Any]
    code: str  # the offer's code text


def shop(client: Any, slug: str = "shop", **offer: Any) -> Shop:
    owner = register(client, f"{slug}-owner")
    offer.setdefault("payment_methods", ["wallet", "card"])
    made = merchant_with_offer(client, owner, slug, **offer)
    return Shop(owner, made["merchant_id"], made, issue(client, owner, made["id"]))


def fund(db: Database, username: str, amount: int, currency: str = "CNY") -> None:
    with db.transaction() as s:
        wallet.grant_to(s, username, amount, currency)


def balance(db: Database, username: str, currency: str = "CNY") -> int:
    with db.read_transaction() as s:
        user = s.query(User).filter_by(username=username).one()
        accounts = wallet.balances(s, user.id)
        return sum(a.balance_minor for a in accounts if a.currency == currency)


def order(
    client: httpx.Client | Any,
    token: str,
    code: str,
    key: str,
    *,
    quantity: int = 1,
    method: str = "wallet",
    **extra: Any,
) -> httpx.Response:
    body = {"code": code, "quantity": quantity, "payment_method": method, **extra}
    headers = {**auth(token), "Idempotency-Key": key}
    r: httpx.Response = client.post(ORDERS, json=body, headers=headers)
    return r


def ledger_ok(db: Database) -> None:
    with db.read_transaction() as s:
        report = check(s)
    assert report.ok, report


def error(r: httpx.Response) -> str:
    code: str = r.json()["error"]["code"]
    return code


def share(client: Any, token: str, code: str) -> str:
    r = client.post("/api/v1/shares", json={"code": code}, headers=auth(token))
    assert r.status_code in (200, 201), r.text
    text: str = r.json()["code"]
    return text


def rules(client: Any, s: Shop, slug: str = "shop", **values: Any) -> None:
    body = {"currency": "CNY", "levels": [{"percent_bp": 1000}], "max_depth": 1, **values}
    r = client.put(f"/api/v1/merchants/{slug}/commission-rules", json=body, headers=auth(s.owner))
    assert r.status_code == 200, r.text

"""Every bad order input is a 4xx with a stable code, never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, register
from order_support import ORDERS, error, fund, order, shop

from relaycode.db.base import utcnow


@pytest.fixture
def world(client: TestClient, app: Any) -> dict[str, Any]:
    s = shop(client)
    bob = register(client, "bob")
    fund(app.state.rc.db, "bob", 100_000)
    return {"shop": s, "bob": bob}


def _post(client: TestClient, token: str, body: Any, key: str | None = "k") -> Any:
    headers = auth(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(ORDERS, json=body, headers=headers)


@pytest.mark.parametrize(
    ("patch", "status", "code"),
    [
        ({"quantity": 0}, 422, "bad_quantity"),
        ({"quantity": 100}, 422, "bad_quantity"),
        ({"quantity": -(2**70)}, 422, "bad_quantity"),
        ({"quantity": "2"}, 422, "invalid_input"),
        ({"quantity": 1.5}, 422, "invalid_input"),
        ({"quantity": True}, 422, "invalid_input"),
        ({"payment_method": "bitcoin"}, 422, "payment_method_unavailable"),
        ({"payment_method": "cash"}, 422, "payment_method_unavailable"),
        ({"payment_method": "BAD METHOD"}, 422, "payment_method_unavailable"),
        ({"payment_method": 7}, 422, "invalid_input"),
        ({"code": "hello"}, 422, "not_a_code"),
        ({"code": "https://evil.example/C/AAAA"}, 422, "foreign_code"),
        ({"code": "HTTPS://RC.TEST/C/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, 422, None),
        ({"code": ""}, 422, "invalid_input"),
        ({"code": "x" * 5000}, 422, "invalid_input"),
        ({"code": ["a"]}, 422, "invalid_input"),
        ({"delivery_address": {"name": "B"}}, 422, "bad_address"),
        ({"delivery_address": {"nope": "B"}}, 422, "bad_address"),
        ({"delivery_address": "street"}, 422, "invalid_input"),
        ({"extra": 1}, 422, "invalid_input"),
    ],
)
def test_bad_bodies(
    client: TestClient, world: dict[str, Any], patch: dict[str, Any], status: int, code: str | None
) -> None:
    body = {"code": world["shop"].code, "quantity": 1, "payment_method": "wallet", **patch}
    r = _post(client, world["bob"], body)
    assert r.status_code == status, r.text
    if code is not None:
        assert error(r) == code


def test_header_and_shape_refusals(client: TestClient, world: dict[str, Any]) -> None:
    body = {"code": world["shop"].code, "quantity": 1, "payment_method": "wallet"}
    assert _post(client, world["bob"], body, key=None).status_code == 422
    assert _post(client, world["bob"], body, key="x" * 201).status_code == 422
    assert _post(client, world["bob"], body, key="has space").status_code == 422
    assert _post(client, world["bob"], [1, 2]).status_code == 422
    assert _post(client, world["bob"], None).status_code == 422
    r = client.post(
        ORDERS,
        content=b"{not json",
        headers={**auth(world["bob"]), "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    huge = client.post(
        ORDERS,
        content=b"[" + b"1," * 2_000_000 + b"1]",
        headers={**auth(world["bob"]), "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert huge.status_code in (413, 422)
    assert _post(client, "bad-token", body).status_code == 401
    assert client.post(ORDERS, json=body, headers={"Idempotency-Key": "k"}).status_code == 401


def test_offer_states_and_prices(client: TestClient, app: Any, world: dict[str, Any]) -> None:
    s, bob = world["shop"], world["bob"]
    oid = s.offer["id"]
    client.post(f"/api/v1/offers/{oid}/pause", headers=auth(s.owner))
    r = order(client, bob, s.code, "k1")
    assert r.status_code == 409 and error(r) == "offer_not_on_sale"
    assert r.json()["error"]["details"] == {"status": "paused"}
    client.post(f"/api/v1/offers/{oid}/activate", headers=auth(s.owner))
    later = (utcnow() + timedelta(days=1)).isoformat()
    client.patch(f"/api/v1/offers/{oid}", json={"valid_from": later}, headers=auth(s.owner))
    r = order(client, bob, s.code, "k2")
    assert r.status_code == 409 and r.json()["error"]["details"] == {"status": "scheduled"}
    client.patch(
        f"/api/v1/offers/{oid}", json={"valid_from": None, "price_minor": 0}, headers=auth(s.owner)
    )
    r = order(client, bob, s.code, "k3")
    assert r.status_code == 422 and error(r) == "not_for_sale"


def test_physical_goods_need_an_address(client: TestClient, app: Any) -> None:
    s = shop(client, sales_channel="delivery")
    bob = register(client, "bob")
    fund(app.state.rc.db, "bob", 10_000)
    r = order(client, bob, s.code, "k1")
    assert r.status_code == 422 and error(r) == "delivery_address_required"
    address = {
        "name": "Bob",
        "phone": "+86 138 0000 0000",
        "line1": "1 West Lake Rd",
        "city": "Hangzhou",
        "country": "cn",
    }
    r = order(client, bob, s.code, "k2", delivery_address={**address, "phone": "call me"})
    assert r.status_code == 422
    r = order(client, bob, s.code, "k3", delivery_address=address)
    assert r.status_code == 201, r.text
    assert r.json()["delivery_address"]["country"] == "CN"
    other = order(client, bob, s.code, "k3", delivery_address={**address, "city": "Beijing"})
    assert other.status_code == 422 and error(other) == "idempotency_key_reused"


def test_revoked_and_unknown_codes(client: TestClient, world: dict[str, Any]) -> None:
    s, bob = world["shop"], world["bob"]
    codes = client.get(f"/api/v1/offers/{s.offer['id']}/codes", headers=auth(s.owner)).json()
    client.post(f"/api/v1/codes/{codes['items'][0]['id']}/revoke", headers=auth(s.owner))
    r = order(client, bob, s.code, "k")
    assert r.status_code == 410 and error(r) == "code_revoked"


def test_refund_and_actions_on_bad_ids(client: TestClient, world: dict[str, Any]) -> None:
    s = world["shop"]
    for path in ("/refund", "/fulfil", "/cancel"):
        for oid in ("0", "99999999", "-1", "abc", "9" * 30):
            r = client.post(f"{ORDERS}/{oid}{path}", headers=auth(s.owner))
            assert r.status_code in (404, 422), (path, oid, r.text)
    oid = order(client, world["bob"], s.code, "k").json()["id"]
    for amount in (0, -5, "1", 1.5, 10**13, True):
        r = client.post(f"{ORDERS}/{oid}/refund", json={"amount": amount}, headers=auth(s.owner))
        assert r.status_code == 422, (amount, r.text)

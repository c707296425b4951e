"""The OpenAPI document: complete, and true to what the routes do."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register

from relaycode.openapi import OPERATIONS
from relaycode.payments import wallet

ERROR_REF = "#/components/schemas/Error"


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }


@pytest.fixture
def doc(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    result: dict[str, Any] = r.json()
    return result


def test_every_operation_is_declared_and_described(doc: dict[str, Any]) -> None:
    ops = _operations(doc)
    assert set(ops) == set(OPERATIONS)  # a new route must say what it takes
    for key, op in ops.items():
        assert op.get("description", "").strip(), f"{key} has no description"


def test_every_error_answer_has_the_error_schema(doc: dict[str, Any]) -> None:
    for key, op in _operations(doc).items():
        errors = {s: r for s, r in op["responses"].items() if int(s) >= 400}
        if key not in ("GET /healthz", "GET /api/v1/trust-list"):
            assert errors, f"{key} declares no error answers"
        for status, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, (key, status)
        if "429" in errors:
            assert "Retry-After" in errors["429"]["headers"]
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = doc["components"]["schemas"]["ErrorBody"]
    assert {"code", "message"} <= set(body["required"])
    assert "HTTPValidationError" not in str(doc)  # FastAPI's own 422 shape, never sent


def test_the_errors_that_follow_from_a_routes_shape(doc: dict[str, Any]) -> None:
    ops = _operations(doc)
    patch = set(ops["PATCH /api/v1/offers/{offer_id}"]["responses"])
    assert {"401", "403", "404", "409", "413", "422"} <= patch
    assert {"409", "429"} <= set(ops["POST /api/v1/auth/register"]["responses"])
    assert "413" in ops["POST /api/v1/scan"]["responses"]


def test_security_schemes_and_which_operations_take_them(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert {k: (v["type"], v["scheme"]) for k, v in schemes.items()} == {
        "session": ("http", "bearer"),
        "merchantKey": ("http", "bearer"),
    }
    ops = _operations(doc)
    assert ops["GET /api/v1/me"]["security"] == [{"session": []}]
    assert {"merchantKey": []} in ops["PATCH /api/v1/offers/{offer_id}"]["security"]
    assert {} in ops["POST /api/v1/scan"]["security"]  # anonymous scans are fine
    assert "security" not in ops["GET /api/v1/offers/{offer_id}"]


def test_decode_and_image_upload_bodies_are_described(doc: dict[str, Any]) -> None:
    ops = _operations(doc)
    content = ops["POST /api/v1/decode"]["requestBody"]["content"]
    form = content["multipart/form-data"]["schema"]
    assert form["properties"]["file"] == {"type": "string", "format": "binary"}
    assert {"image/png", "image/jpeg", "image/webp"} <= set(content)
    image = ops["PUT /api/v1/offers/{offer_id}/image"]["requestBody"]["content"]
    assert "image/jpeg" in image


# ---- the declarations checked against the routes themselves -----------------------------


@pytest.fixture
def world(client: TestClient) -> dict[str, str]:
    token = register(client, "alice")
    offer = merchant_with_offer(client, token)
    issue(client, token, offer["id"])
    code_id = client.get(f"/api/v1/offers/{offer['id']}/codes", headers=auth(token)).json()[
        "items"
    ][0]
    scopes = ["offers:read", "offers:write", "codes:issue", "scan", "orders:read", "orders:write"]
    r = client.post(
        "/api/v1/merchants/shop/api-keys",
        json={"name": "all", "scopes": scopes},
        headers=auth(token),
    )
    assert r.status_code == 201
    mid = offer["merchant_id"]
    hook = client.post(
        f"/api/v1/merchants/{mid}/webhooks",
        json={"url": "https://hooks.example.com/in", "events": ["order.paid"]},
        headers=auth(token),
    )
    assert hook.status_code == 201, hook.text
    hook_id = hook.json()["id"]
    sent = client.post(f"/api/v1/merchants/{mid}/webhooks/{hook_id}/test", headers=auth(token))
    assert sent.status_code == 202, sent.text
    log = client.get(f"/api/v1/merchants/{mid}/webhooks/{hook_id}/deliveries", headers=auth(token))
    with client.app.state.rc.db.transaction() as db:  # type: ignore[attr-defined]
        wallet.grant_to(db, "alice", 5000, "CNY")
    text = issue(client, token, offer["id"])
    bought = client.post(
        "/api/v1/orders",
        json={"code": text, "quantity": 1, "payment_method": "wallet"},
        headers={**auth(token), "Idempotency-Key": "world"},
    )
    assert bought.status_code == 201, bought.text
    paycode = client.post(f"/api/v1/merchants/{mid}/payment-codes", json={}, headers=auth(token))
    assert paycode.status_code == 201, paycode.text
    asked = client.post(
        f"/api/v1/merchants/{mid}/service-requests",
        json={"user": "alice", "description": "world"},
        headers=auth(token),
    )
    assert asked.status_code == 201, asked.text
    return {
        "order_id": str(bought.json()["id"]),
        "merchant_id": str(mid),
        "webhook_id": str(hook_id),
        "delivery_id": str(log.json()["items"][0]["id"]),
        "offer_id": str(offer["id"]),
        "code_id": code_id["id"],
        "slug": "shop",
        "fmt": "png",
        "key_id": str(r.json()["id"]),
        "username": "alice",
        "device_uid": "no-such-device",
        "withdrawal_id": "1",
        "key": r.json()["key"],
        "template_id": "1",
        "item_id": "1",
        "credential_id": "0" * 32,
        "payment_code_id": str(paycode.json()["id"]),
        "request_id": str(asked.json()["id"]),
    }


# Valid bodies, so that a refusal comes from the credentials, not from validation.
BODIES: dict[str, Any] = {
    "POST /api/v1/scan": {"text": "hello"},
    "POST /api/v1/merchants": {"slug": "other", "name": "Other"},
    "PUT /api/v1/merchants/{slug}/members": {"username": "alice", "role": "owner"},
    "POST /api/v1/merchants/{slug}/api-keys": {"name": "k", "scopes": ["scan"]},
    "POST /api/v1/merchants/{slug}/offers": {"title": "Tea"},
    "PATCH /api/v1/offers/{offer_id}": {"title": "Tea"},
    "PUT /api/v1/me/device/public-key": {"public_key": "A" * 43},
    "POST /api/v1/offers/{offer_id}/codes/revoke": {"ids": ["0" * 32]},
    "POST /api/v1/shares": {"code": "hello"},
    "PUT /api/v1/shares/{code_id}/review": {"rating": 5, "text": "Good"},
    "POST /api/v1/admin/wallet-grants": {"username": "alice", "amount_minor": 1, "currency": "CNY"},
    "POST /api/v1/me/withdrawals": {"amount": 1, "currency": "CNY", "payout_details": "x"},
    "PUT /api/v1/merchants/{slug}/commission-rules": {"currency": "CNY"},
    "PUT /api/v1/offers/{offer_id}/commission-rules": {"currency": "CNY"},
    "POST /api/v1/me/inbox/read": {"all": True},
    "POST /api/v1/me/inbox/test": {"message": "hi"},
    "POST /api/v1/me/phone": {"phone": "+8613800138000"},
    "POST /api/v1/me/phone/verify": {"phone": "+8613800138000", "code": "123456"},
    "POST /api/v1/merchants/{merchant_id}/webhooks": {
        "url": "https://hooks.example.com/2",
        "events": ["order.paid"],
    },
    "POST /api/v1/orders": {"code": "hello", "quantity": 1, "payment_method": "wallet"},
    "POST /api/v1/orders/{order_id}/refund": {"amount": 1},
    "PUT /api/v1/offers/{offer_id}/game": {
        "attributes": [{"key": "O", "label": "Oxygen"}, {"key": "H", "label": "Hydrogen"}],
        "recipes": [{"items": ["O", "H", "H"], "title": "Water"}],
    },
    "PUT /api/v1/offers/{offer_id}/game/players/{username}": {"attribute": "O"},
    "POST /api/v1/offers/{offer_id}/game/join": {"attribute": "O"},
    "POST /api/v1/merchants/{merchant_id}/credential-templates": {"kind": "ticket", "name": "T"},
    "PATCH /api/v1/credential-templates/{template_id}": {"name": "T"},
    "POST /api/v1/credential-templates/{template_id}/items": {"holder": "alice"},
    "POST /api/v1/credential-templates/{template_id}/items/bulk": {"rows": [{"holder": "alice"}]},
    "POST /api/v1/claims": {"text": "hello"},
    "POST /api/v1/credentials/{credential_id}/endorse": {"to": "alice"},
    "POST /api/v1/redemptions": {"text": "hello", "nonce": "n"},
    "POST /api/v1/redemptions/offline": {
        "station": "gate-1",
        "redemptions": [{"text": "hello", "nonce": "n", "redeemed_at": "2026-01-01T00:00:00Z"}],
    },
    "POST /api/v1/verifications": {"text": "hello"},
    "POST /api/v1/merchants/{merchant_id}/payment-codes": {"methods": ["wallet"]},
    "POST /api/v1/payment-codes/pay": {"code": "hello", "amount": 1},
    "POST /api/v1/merchants/{merchant_id}/service-requests": {"user": "alice", "description": "x"},
    "POST /api/v1/service-requests": {"merchant_id": 1, "description": "x"},
    "POST /api/v1/credentials/{credential_id}/verification-links": {"to": "alice"},
}


def _call(client: TestClient, key: str, world: dict[str, str], token: str) -> int:
    method, path = key.split(" ", 1)
    for name, value in world.items():
        path = path.replace("{" + name + "}", value)
    return client.request(method, path, headers=auth(token), json=BODIES.get(key)).status_code


def test_declared_credentials_are_the_ones_taken(client: TestClient, world: dict[str, str]) -> None:
    for key, op in OPERATIONS.items():
        status = _call(client, key, world, "not-a-real-token")
        if op.auth == "none":
            assert status != 401, f"{key} declares no credentials but checks them"
        else:
            assert status == 401, f"{key} declares credentials but ignores a bad one"
    # A merchant key is accepted exactly where the document says so.
    for key, op in OPERATIONS.items():
        status = _call(client, key, world, world["key"])
        if op.auth in ("session_or_key", "optional"):
            assert status not in (401, 403), f"{key} refuses the merchant key it declares"
        elif op.auth == "session" and key != "POST /api/v1/auth/logout":
            # (Logging out with a key ends no session and succeeds: nothing to refuse.)
            assert status in (401, 403), f"{key} takes a merchant key it does not declare"


def test_issuing_a_code_needs_no_body(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    r = client.post(f"/api/v1/offers/{offer['id']}/codes", headers=auth(token))
    assert r.status_code == 201, r.text
    assert r.json()["channel"] is None and r.json()["text"]
    r = client.post(
        f"/api/v1/offers/{offer['id']}/codes", json={"channel": "poster"}, headers=auth(token)
    )
    assert r.status_code == 201 and r.json()["channel"] == "poster"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/scan", "POST"),
        ("DELETE", "/api/v1/offers/1", "GET, PATCH"),
        ("GET", "/api/v1/auth/login", "POST"),
        ("PUT", "/login", "GET, POST"),  # a page path with two routes
        ("POST", "/static/app.css", "GET, HEAD"),
    ],
)
def test_405_answers_carry_allow(client: TestClient, method: str, path: str, allow: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    if path.startswith("/api/"):
        assert r.json()["error"]["code"] == "method_not_allowed"

"""Input that used to reach the database and come back as a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register


@pytest.fixture
def shop(client: TestClient) -> tuple[str, dict[str, Any]]:
    token = register(client)
    return token, merchant_with_offer(client, token)


@pytest.mark.parametrize("field", ["price_minor", "currency", "payment_methods"])
def test_patching_a_required_field_to_null_is_a_422(
    client: TestClient, shop: tuple[str, dict[str, Any]], field: str
) -> None:
    token, offer = shop
    r = client.patch(f"/api/v1/offers/{offer['id']}", json={field: None}, headers=auth(token))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input"
    assert r.json()["error"]["details"]["problems"][0]["loc"][-1] == field
    after = client.get(f"/api/v1/offers/{offer['id']}").json()
    assert after[field] == offer[field]


def test_fields_that_may_be_cleared_still_can(
    client: TestClient, shop: tuple[str, dict[str, Any]]
) -> None:
    token, offer = shop
    body: dict[str, Any] = {
        "description": None,
        "sku": None,
        "payment_methods": [],
        "valid_until": None,
    }
    r = client.patch(f"/api/v1/offers/{offer['id']}", json=body, headers=auth(token))
    assert r.status_code == 200, r.text
    assert (r.json()["description"], r.json()["payment_methods"]) == ("", [])


TEXT_FIELDS = ["title", "description", "sku", "category", "region", "sales_channel",
               "payee_account", "web_link"]  # fmt: skip


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("bad", ["\u0000", "\u0007", "\u001b", "\u007f"])
def test_control_characters_in_offer_text_are_a_422(
    client: TestClient, shop: tuple[str, dict[str, Any]], field: str, bad: str
) -> None:
    token, offer = shop
    value = f"https://example.com/a{bad}b" if field == "web_link" else f"a{bad}b"
    r = client.patch(f"/api/v1/offers/{offer['id']}", json={field: value}, headers=auth(token))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input"
    body = {"title": "Tea", field: value}
    r = client.post("/api/v1/merchants/shop/offers", json=body, headers=auth(token))
    assert r.status_code == 422, r.text


def test_line_breaks_are_text_but_not_titles(
    client: TestClient, shop: tuple[str, dict[str, Any]]
) -> None:
    token, offer = shop
    url = f"/api/v1/offers/{offer['id']}"
    r = client.patch(url, json={"description": "one\n\ttwo\r\n"}, headers=auth(token))
    assert r.status_code == 200 and r.json()["description"] == "one\n\ttwo\r\n"
    assert client.patch(url, json={"title": "one\ntwo"}, headers=auth(token)).status_code == 422
    # Characters beyond ASCII are text, of course.
    r = client.patch(url, json={"title": "绿茶 🍵 Ünïcode"}, headers=auth(token))
    assert r.status_code == 200 and r.json()["title"] == "绿茶 🍵 Ünïcode"


def test_nul_in_merchant_team_and_key_names(client: TestClient) -> None:
    token = register(client)
    merchant_with_offer(client, token)
    h = auth(token)
    r = client.post("/api/v1/merchants", json={"slug": "other", "name": "a\u0000"}, headers=h)
    assert r.status_code == 422
    body = {"username": "bob\u0000", "role": "staff"}
    assert client.put("/api/v1/merchants/shop/members", json=body, headers=h).status_code == 422
    body2 = {"name": "k\u0000", "scopes": ["scan"]}
    assert client.post("/api/v1/merchants/shop/api-keys", json=body2, headers=h).status_code == 422


def test_nul_in_a_path_parameter_is_not_a_500(client: TestClient) -> None:
    token = register(client)
    r = client.get("/api/v1/merchants/a%00b/members", headers=auth(token))
    # SQLite finds no such merchant; PostgreSQL refuses the value: both are the caller's.
    assert (r.status_code, r.json()["error"]["code"]) in {
        (404, "merchant_not_found"),
        (422, "invalid_input"),
    }

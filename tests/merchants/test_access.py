"""Who may act for a merchant, as the access dependencies decide it for every route."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register

from relaycode.models import User


def _promote(client: TestClient, username: str) -> None:
    """What ``relaycode admin create-operator`` does to an existing user."""
    db = client.app.state.rc.db  # type: ignore[attr-defined]
    with db.transaction() as s:
        s.execute(sa.update(User).where(User.username == username).values(is_operator=True))


def _member(client: TestClient, owner: str, username: str, role: str) -> None:
    r = client.put("/api/v1/merchants/shop/members", json={"username": username, "role": role},
                   headers=auth(owner))  # fmt: skip
    assert r.status_code == 200, r.text


def test_each_role_gets_what_it_may_do(client: TestClient) -> None:
    owner = register(client, "owner")
    offer: dict[str, Any] = merchant_with_offer(client, owner)
    staff, vera = register(client, "stella"), register(client, "vera")
    _member(client, owner, "stella", "staff")
    _member(client, owner, "vera", "verifier")
    codes, members = f"/api/v1/offers/{offer['id']}/codes", "/api/v1/merchants/shop/members"
    edit = f"/api/v1/offers/{offer['id']}"
    # Staff edit offers and issue codes, but do not manage the team.
    assert client.patch(edit, json={"region": "Hangzhou"}, headers=auth(staff)).status_code == 200
    assert client.post(codes, json={}, headers=auth(staff)).status_code == 201
    assert client.get(members, headers=auth(staff)).status_code == 403
    # Verifiers read, and change nothing.
    assert client.get(codes, headers=auth(vera)).status_code == 200
    assert client.post(codes, json={}, headers=auth(vera)).status_code == 403
    assert client.post(edit + "/pause", headers=auth(vera)).status_code == 403
    # Removed from the team: refused on the very next request.
    assert client.delete(members + "/stella", headers=auth(owner)).status_code == 204
    r = client.patch(edit, json={"region": "Xihu"}, headers=auth(staff))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_operators_act_for_every_merchant(client: TestClient) -> None:
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner)
    admin = register(client, "admin")
    members = "/api/v1/merchants/shop/members"
    assert client.get(members, headers=auth(admin)).status_code == 403
    _promote(client, "admin")
    assert client.get(members, headers=auth(admin)).status_code == 200
    assert client.post(f"/api/v1/offers/{offer['id']}/archive",
                       headers=auth(admin)).json()["status"] == "archived"  # fmt: skip


def test_a_key_acts_for_its_own_merchant_only(client: TestClient) -> None:
    alice, bob = register(client, "alice"), register(client, "bob")
    merchant_with_offer(client, alice, slug="shop")
    theirs = merchant_with_offer(client, bob, slug="other")
    r = client.post("/api/v1/merchants/shop/api-keys",
                    json={"name": "pos", "scopes": ["offers:read", "codes:issue"]},
                    headers=auth(alice))  # fmt: skip
    key = r.json()["key"]
    text = issue(client, bob, theirs["id"])
    assert text.startswith("HTTPS://")
    for method, path in (
        ("GET", "/api/v1/merchants/other/offers"),
        ("POST", f"/api/v1/offers/{theirs['id']}/codes"),
        ("GET", f"/api/v1/offers/{theirs['id']}/codes"),
    ):
        r = client.request(method, path, json={} if method == "POST" else None, headers=auth(key))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", path
    # Scopes a key can never hold: its merchant's team and keys.
    assert client.get("/api/v1/merchants/shop/members", headers=auth(key)).status_code == 403

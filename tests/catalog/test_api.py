from __future__ import annotations

from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register


def test_offer_lifecycle(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(
        client,
        token,
        gtin="4006381333931",
        payment_methods=["wallet", "card"],
        web_link="https://ex.org/t",
    )
    assert offer["gtin"] == "04006381333931" and offer["price_minor"] == 1250
    oid = offer["id"]
    r = client.patch(f"/api/v1/offers/{oid}", json={"price_minor": 990}, headers=auth(token))
    assert r.status_code == 200 and r.json()["price_minor"] == 990 and r.json()["version"] == 2
    # Optimistic concurrency: a stale If-Match is refused.
    r = client.patch(
        f"/api/v1/offers/{oid}", json={"title": "x"}, headers={**auth(token), "If-Match": "1"}
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "version_conflict"
    assert (
        client.post(f"/api/v1/offers/{oid}/pause", headers=auth(token)).json()["status"] == "paused"
    )
    assert client.post(f"/api/v1/offers/{oid}/pause", headers=auth(token)).status_code == 200
    assert (
        client.post(f"/api/v1/offers/{oid}/archive", headers=auth(token)).json()["status"]
        == "archived"
    )
    r = client.post(f"/api/v1/offers/{oid}/activate", headers=auth(token))
    assert r.status_code == 409 and r.json()["error"]["code"] == "bad_transition"
    r = client.patch(f"/api/v1/offers/{oid}", json={"title": "y"}, headers=auth(token))
    assert r.json()["error"]["code"] == "offer_archived"
    assert client.get("/api/v1/merchants/shop/offers", headers=auth(token)).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_offer_validation(client: TestClient) -> None:
    token = register(client)
    merchant_with_offer(client, token)
    bad = [
        {"title": ""},
        {"title": "t", "price_minor": -1},
        {"title": "t", "price_minor": 1.5},
        {"title": "t", "currency": "yuan"},
        {"title": "t", "currency": "XYZ"},  # not ISO 4217
        {"title": "t", "currency": "XAU"},  # gold has no minor unit
        {"title": "t", "gtin": "4006381333932"},
        {"title": "t", "web_link": "javascript:alert(1)"},
        {"title": "t", "valid_from": "2026-01-02T00:00:00Z", "valid_until": "2026-01-01T00:00:00Z"},
        {"title": "t", "valid_until": "2026-01-01T00:00:00"},
        {"title": "t", "payment_methods": ["bitcoin"]},
    ]
    for body in bad:
        r = client.post("/api/v1/merchants/shop/offers", json=body, headers=auth(token))
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] == "invalid_input"


def test_roles_and_permissions(client: TestClient) -> None:
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner)
    verifier = register(client, "vera")
    stranger = register(client, "sam")
    r = client.put(
        "/api/v1/merchants/shop/members",
        json={"username": "vera", "role": "verifier"},
        headers=auth(owner),
    )
    assert r.status_code == 200
    path = "/api/v1/merchants/shop/offers"
    assert client.get(path, headers=auth(verifier)).status_code == 200
    r = client.post(path, json={"title": "t"}, headers=auth(verifier))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert client.get(path, headers=auth(stranger)).status_code == 403
    assert client.get(path).status_code == 401
    # The public view of an offer hides the payee account.
    public = client.get(f"/api/v1/offers/{offer['id']}").json()
    assert "payee_account" not in public and public["merchant"] == "Shop"


def test_scoped_api_keys(client: TestClient) -> None:
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner)
    r = client.post(
        "/api/v1/merchants/shop/api-keys",
        json={"name": "pos", "scopes": ["offers:read", "codes:issue"]},
        headers=auth(owner),
    )
    assert r.status_code == 201
    key = r.json()["key"]
    assert client.get("/api/v1/merchants/shop/offers", headers=auth(key)).status_code == 200
    r = client.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=auth(key))
    assert r.status_code == 201
    r = client.post("/api/v1/merchants/shop/offers", json={"title": "t"}, headers=auth(key))
    assert r.status_code == 403
    assert (
        client.delete("/api/v1/merchants/shop/api-keys/1", headers=auth(owner)).status_code == 200
    )
    assert client.get("/api/v1/merchants/shop/offers", headers=auth(key)).status_code == 401


def test_offer_image_upload(client: TestClient) -> None:
    import io

    from PIL import Image

    token = register(client)
    offer = merchant_with_offer(client, token)
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "PNG")
    r = client.put(
        f"/api/v1/offers/{offer['id']}/image", content=buf.getvalue(), headers=auth(token)
    )
    assert r.status_code == 200 and r.json()["image_url"].startswith("/media/")
    r = client.put(
        f"/api/v1/offers/{offer['id']}/image", content=b"not an image", headers=auth(token)
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_image"


def test_out_of_range_ids_are_not_found(client: TestClient) -> None:
    token = register(client)
    merchant_with_offer(client, token)
    huge = 2**70
    for method, path in [
        ("GET", f"/api/v1/offers/{huge}"),
        ("POST", f"/api/v1/offers/{huge}/pause"),
        ("POST", f"/api/v1/offers/{huge}/codes"),
        ("GET", f"/api/v1/offers/{-huge}"),
        ("DELETE", f"/api/v1/merchants/shop/api-keys/{huge}"),
        ("GET", f"/offers/{huge}"),
        ("GET", f"/dashboard/offers/{huge}"),
    ]:
        r = client.request(method, path, headers=auth(token), json={})
        assert r.status_code == 404, (path, r.text)


def test_members_and_the_last_owner(client: TestClient) -> None:
    owner = register(client, "owner")
    merchant_with_offer(client, owner)
    register(client, "sam")
    path = "/api/v1/merchants/shop/members"
    client.put(path, json={"username": "sam", "role": "staff"}, headers=auth(owner))
    assert sorted(m["username"] for m in client.get(path, headers=auth(owner)).json()["items"]) == [
        "owner",
        "sam",
    ]
    r = client.put(path, json={"username": "owner", "role": "staff"}, headers=auth(owner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "last_owner"
    r = client.delete(f"{path}/owner", headers=auth(owner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "last_owner"
    assert client.delete(f"{path}/sam", headers=auth(owner)).status_code == 204
    r = client.delete(f"{path}/sam", headers=auth(owner))
    assert r.status_code == 404 and r.json()["error"]["code"] == "member_not_found"

from __future__ import annotations

from fastapi.testclient import TestClient
from helpers import auth, register


def test_register_login_me_logout(client: TestClient) -> None:
    token = register(client, "Alice", "correct horse 1")
    me = client.get("/api/v1/me", headers=auth(token)).json()
    assert me["username"] == "alice"
    assert me["is_operator"] is False  # not even the first account of a fresh instance
    assert "alice" not in me["pseudonym"]

    r = client.post("/api/v1/auth/login", json={"username": "ALICE", "password": "correct horse 1"})
    assert r.status_code == 200
    second = r.json()["token"]
    assert client.post("/api/v1/auth/logout", headers=auth(second)).status_code == 204
    r = client.get("/api/v1/me", headers=auth(second))
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_token"
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 200


def test_no_registered_user_is_operator_and_usernames_are_unique(client: TestClient) -> None:
    alice = register(client, "alice")
    bob = register(client, "bob")
    for token in (alice, bob):
        assert client.get("/api/v1/me", headers=auth(token)).json()["is_operator"] is False
    r = client.post("/api/v1/auth/register", json={"username": "BOB", "password": "x" * 10})
    assert r.status_code == 409 and r.json()["error"]["code"] == "username_taken"


def test_wrong_password_and_unknown_user_say_the_same(client: TestClient) -> None:
    register(client, "alice")
    a = client.post("/api/v1/auth/login", json={"username": "alice", "password": "nope-nope"})
    b = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()
    assert a.json()["error"]["code"] == "bad_credentials"


def test_login_is_rate_limited(client: TestClient) -> None:
    codes = [
        client.post("/api/v1/auth/login", json={"username": "x", "password": "wrong"}).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [401] * 10
    assert codes[-1] == 429
    r = client.post("/api/v1/auth/login", json={"username": "x", "password": "wrong"})
    assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) > 0


def test_bad_input_is_a_clear_422(client: TestClient) -> None:
    r = client.post("/api/v1/auth/register", json={"username": "a b", "password": "short"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_input"
    r = client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer garbage"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_token"


def test_devices_listed_and_revoked(client: TestClient) -> None:
    token = register(client, "alice")
    other = client.post(
        "/api/v1/auth/login",
        json={"username": "alice", "password": "correct horse 1", "device_label": "phone"},
    ).json()
    devices = client.get("/api/v1/me/devices", headers=auth(token)).json()
    assert len(devices["items"]) == 2 and devices["next_cursor"] is None
    r = client.delete(f"/api/v1/me/devices/{other['device_id']}", headers=auth(token))
    assert r.status_code == 200 and r.json()["revoked_at"]
    # Revoking a device signs it out.
    assert client.get("/api/v1/me", headers=auth(other["token"])).status_code == 401


def test_device_public_key_registration(client: TestClient) -> None:
    token = register(client, "alice")
    key = "A" * 43
    r = client.put("/api/v1/me/device/public-key", json={"public_key": key}, headers=auth(token))
    assert r.status_code == 200 and r.json()["public_key"] == key
    r = client.put("/api/v1/me/device/public-key", json={"public_key": "x"}, headers=auth(token))
    assert r.status_code == 422


def test_device_only_account(client: TestClient) -> None:
    r = client.post("/api/v1/auth/device", json={"device_label": "kiosk"})
    assert r.status_code == 201
    body = r.json()
    assert body["user"]["kind"] == "device" and body["user"]["username"] is None
    assert client.get("/api/v1/me", headers=auth(body["token"])).json()["kind"] == "device"

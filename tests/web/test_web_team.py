"""The team page: members, roles and API keys, for a merchant's owners only."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

KEY = re.compile(r"rck_[A-Za-z0-9_-]{20,}")


def sign_up(client: TestClient, username: str) -> None:
    client.get("/")
    form = {"csrf": client.cookies["rc_csrf"], "username": username}
    form |= {"password": "password123", "password2": "password123"}
    assert client.post("/register", data=form, follow_redirects=False).status_code == 303


def test_owner_manages_members_and_keys(pages: Any, client: TestClient) -> None:
    pages.shop()
    merchant = client.get("/dashboard/m/tea-house")
    assert 'href="/dashboard/m/tea-house/team"' in merchant.text
    with TestClient(client.app) as other:  # a second account, in its own browser
        sign_up(other, "sam")
    r = pages.post("/dashboard/m/tea-house/team/members", {"username": "sam", "role": "verifier"})
    assert r.status_code == 303
    team = client.get("/dashboard/m/tea-house/team")
    assert team.status_code == 200 and ">sam<" in team.text

    r = pages.post("/dashboard/m/tea-house/team/keys",
                   {"name": "till", "scopes": ["offers:read", "codes:issue"]})  # fmt: skip
    assert r.status_code == 303  # post-redirect-get (test_web_flash.py has the details)
    shown = client.get(r.headers["location"])
    assert shown.status_code == 200 and "data-new-key" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    (secret,) = set(KEY.findall(shown.text))
    api = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/merchants/tea-house/offers", headers=api).status_code == 200
    assert KEY.search(client.get("/dashboard/m/tea-house/team").text) is None  # shown once

    key_id = re.search(r"/team/keys/(\d+)/revoke", client.get("/dashboard/m/tea-house/team").text)
    assert key_id
    r = pages.post(f"/dashboard/m/tea-house/team/keys/{key_id.group(1)}/revoke", {})
    assert r.status_code == 303
    assert client.get("/api/v1/merchants/tea-house/offers", headers=api).status_code == 401


def test_team_refusals(pages: Any, client: TestClient) -> None:
    pages.shop()
    r = pages.post("/dashboard/m/tea-house/team/members", {"username": "alice", "role": "staff"})
    assert r.status_code == 409 and "at least one owner" in r.text
    r = pages.post("/dashboard/m/tea-house/team/members", {"username": "nobody", "role": "staff"})
    assert r.status_code == 404 and "no account" in r.text
    r = pages.post("/dashboard/m/tea-house/team/members", {"username": "x", "role": "king"})
    assert r.status_code == 422
    r = pages.post("/dashboard/m/tea-house/team/keys", {"name": "till"})
    assert r.status_code == 422 and "at least one right" in r.text


def test_only_owners_see_the_team(pages: Any, client: TestClient) -> None:
    pages.shop()
    with TestClient(client.app) as staff:
        sign_up(staff, "sam")
        pages.post("/dashboard/m/tea-house/team/members", {"username": "sam", "role": "staff"})
        assert staff.get("/dashboard/m/tea-house").status_code == 200
        assert "/team" not in staff.get("/dashboard/m/tea-house").text
        assert staff.get("/dashboard/m/tea-house/team").status_code == 403

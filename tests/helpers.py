"""Small API helpers shared by tests (plain functions, not fixtures)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient


def register(
    client: httpx.Client, username: str = "alice", password: str = "correct horse 1"
) -> str:
    """Works on a TestClient and on a plain httpx.Client against a live server alike."""
    r = client.post("/api/v1/auth/register", json={"username": username, "password": password})
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def merchant_with_offer(
    client: TestClient, token: str, slug: str = "shop", **offer: Any
) -> dict[str, Any]:
    r = client.post("/api/v1/merchants", json={"slug": slug, "name": "Shop"}, headers=auth(token))
    assert r.status_code == 201, r.text
    body = {"title": "Green tea 250 g", "price_minor": 1250, "currency": "CNY", **offer}
    r = client.post(f"/api/v1/merchants/{slug}/offers", json=body, headers=auth(token))
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def issue(client: TestClient, token: str, offer_id: int, channel: str | None = None) -> str:
    r = client.post(
        f"/api/v1/offers/{offer_id}/codes", json={"channel": channel}, headers=auth(token)
    )
    assert r.status_code == 201, r.text
    text: str = r.json()["text"]
    return text


def signed_in_pages(app: Any, username: str, *, raise_server_exceptions: bool = True) -> TestClient:
    """A browser-like TestClient signed in through the login form (cookie and CSRF)."""
    c = TestClient(app, raise_server_exceptions=raise_server_exceptions)
    c.get("/login")
    form = {"username": username, "password": "correct horse 1", "next": "/"}
    r = c.post("/login", data={**form, "csrf": c.cookies["rc_csrf"]}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return c

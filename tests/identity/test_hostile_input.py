"""Usernames and labels with control characters: a 422, never a database error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from helpers import register


@pytest.mark.parametrize("bad", ["\u0000", "\u0008", "\n"])
def test_control_characters_in_sign_in_and_sign_up(client: TestClient, bad: str) -> None:
    register(client, "alice")
    r = client.post("/api/v1/auth/login", json={"username": f"ali{bad}ce", "password": "x" * 9})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = client.post("/api/v1/auth/register", json={"username": f"bob{bad}", "password": "x" * 9})
    assert r.status_code == 422
    body = {"username": "carol", "password": "x" * 9, "display_name": f"C{bad}"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 422
    body = {"username": "alice", "password": "correct horse 1", "device_id": f"d{bad}"}
    assert client.post("/api/v1/auth/login", json=body).status_code == 422
    assert client.post("/api/v1/auth/device", json={"device_label": f"k{bad}"}).status_code == 422


def test_a_password_may_hold_any_character(client: TestClient) -> None:
    """Passwords are hashed, never stored as text: nothing to refuse."""
    password = "pass\u0000word\u0007 🔑"
    register(client, "alice", password)
    r = client.post("/api/v1/auth/login", json={"username": "alice", "password": password})
    assert r.status_code == 200

"""A water game (O + H + H → water) and its players, made through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register

WATER: dict[str, Any] = {
    "attributes": [
        {"key": "O", "label": "Oxygen"},
        {"key": "H", "label": "Hydrogen"},
        {"key": "C", "label": "Carbon"},
    ],
    "recipes": [
        {"items": ["O", "H", "H"], "title": "Water", "description": "H₂O", "reward": "Free tea"},
        {"items": ["C", "O", "O"], "title": "Carbon dioxide"},
        {"items": ["H", "H"], "title": "Hydrogen gas"},
    ],
    "assignment": "merchant",
}


def water_game(client: TestClient, **game: Any) -> dict[str, Any]:
    """The merchant "owner", an offer turned into the water game, and its first code."""
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner, title="Make water")
    r = client.put(
        f"/api/v1/offers/{offer['id']}/game", json={**WATER, **game}, headers=auth(owner)
    )
    assert r.status_code == 200, r.text
    root = issue(client, owner, offer["id"])
    return {"owner": owner, "offer_id": offer["id"], "root": root, "game": r.json()}


def player(client: TestClient, world: dict[str, Any], name: str, attribute: str | None) -> str:
    """A registered user, given ``attribute`` by the merchant (None: no attribute)."""
    token = register(client, name)
    if attribute is not None:
        r = client.put(
            f"/api/v1/offers/{world['offer_id']}/game/players/{name}",
            json={"attribute": attribute},
            headers=auth(world["owner"]),
        )
        assert r.status_code == 200, r.text
    return token


def share(client: TestClient, token: str, code: str) -> str:
    r = client.post("/api/v1/shares", json={"code": code}, headers=auth(token))
    assert r.status_code in (200, 201), r.text  # 200: the share made before
    text: str = r.json()["code"]
    return text


def scan_game(client: TestClient, code: str) -> dict[str, Any] | None:
    r = client.post("/api/v1/scan", json={"text": code})
    assert r.status_code == 200, r.text
    game: dict[str, Any] | None = r.json()["game"]
    return game

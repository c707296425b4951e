"""A GTIN scan finds the offer on sale *now* (catalog/status.effective_status).

The lookup used to filter on the merchant's status alone: an ended offer with the same
GTIN, created first, hid the live one (and its page answered 410); an offer that starts
in 2099 was served as the product's page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register

from relaycode.codes import service as codes
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.models import Offer

GTIN = "09506000134352"


def _scan(client: TestClient, text: str) -> dict[str, Any]:
    r = client.post("/api/v1/scan", json={"text": text})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _add_offer(client: TestClient, token: str, **fields: Any) -> int:
    body = {"title": "Tea", "price_minor": 100, "currency": "CNY", "gtin": GTIN, **fields}
    r = client.post("/api/v1/merchants/shop/offers", json=body, headers=auth(token))
    assert r.status_code == 201, r.text
    offer_id: int = r.json()["id"]
    return offer_id


def test_ended_offer_does_not_hide_the_live_one(client: TestClient, app: Any) -> None:
    token = register(client)
    ended = merchant_with_offer(
        client,
        token,
        gtin=GTIN,
        valid_from="2019-01-01T00:00:00Z",
        valid_until="2020-01-01T00:00:00Z",
    )["id"]
    live = _add_offer(client, token)
    assert ended < live  # the old lookup took the lowest id
    body = _scan(client, GTIN)
    assert body["verdict"] == "gtin" and body["offer"]["id"] == live, body
    assert body["target"] == f"/offers/{live}"
    assert body["offer"]["effective_status"] == "active"
    assert client.get(body["target"]).status_code == 200
    # The pages' and CLI's resolve gives the same answer.
    with app.state.rc.db.read_transaction() as db:
        result, _code = codes.resolve_text(db, app.state.rc.settings, app.state.rc.keyring, GTIN)
    assert result.offer is not None and result.offer.id == live


def test_offers_not_yet_started_or_paused_are_not_served(client: TestClient) -> None:
    token = register(client)
    merchant_with_offer(client, token, gtin=GTIN, valid_from="2099-01-01T00:00:00Z")
    paused = _add_offer(client, token)
    client.post(f"/api/v1/offers/{paused}/pause", headers=auth(token))
    body = _scan(client, GTIN)
    assert body["verdict"] == "gtin" and body["offer"] is None, body
    assert body["target"] == f"/scanned?text={GTIN}"


def test_gtin_answer_follows_the_database_at_once(client: TestClient, settings: Settings) -> None:
    """GTIN answers are never cached: an offer ended behind the app's back (a Core write
    the in-process invalidation cannot see, or another instance) is not served again,
    not even within the answer cache's TTL."""
    token = register(client)
    live = merchant_with_offer(client, token, gtin=GTIN)["id"]
    assert _scan(client, GTIN)["offer"]["id"] == live
    engine = sa.create_engine(settings.resolved_database_url)
    try:
        with engine.begin() as conn:
            ended = utcnow() - timedelta(seconds=1)
            conn.execute(sa.update(Offer).where(Offer.id == live).values(valid_until=ended))
    finally:
        engine.dispose()
    body = _scan(client, GTIN)
    assert body["verdict"] == "gtin" and body["offer"] is None, body

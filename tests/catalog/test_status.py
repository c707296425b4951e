"""One effective status: the API, the pages, the dashboard and the scanner agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register

from relaycode.catalog.status import effective_status

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PAST, FUTURE = NOW - timedelta(days=1), NOW + timedelta(days=1)


@dataclass
class _Offer:
    status: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@pytest.mark.parametrize(
    ("offer", "expected"),
    [
        (_Offer("active"), "active"),
        (_Offer("active", PAST, FUTURE), "active"),
        (_Offer("active", valid_until=NOW), "expired"),  # valid_until is exclusive
        (_Offer("active", valid_from=NOW), "active"),  # valid_from is inclusive
        (_Offer("active", valid_from=FUTURE), "scheduled"),
        (_Offer("paused"), "paused"),
        (_Offer("paused", valid_from=FUTURE), "paused"),
        (_Offer("paused", valid_until=PAST), "expired"),
        (_Offer("archived", valid_until=PAST), "archived"),
        (_Offer("archived", valid_from=FUTURE), "archived"),
    ],
)
def test_effective_status(offer: _Offer, expected: str) -> None:
    assert effective_status(offer, NOW) == expected


def _window(client: TestClient, token: str, offer_id: int, **window: datetime) -> None:
    body = {name: value.isoformat() for name, value in window.items()}
    r = client.patch(f"/api/v1/offers/{offer_id}", json=body, headers=auth(token))
    assert r.status_code == 200, r.text


def _mine(client: TestClient, token: str, offer_id: int) -> dict[str, Any]:
    offers = client.get("/api/v1/merchants/shop/offers", headers=auth(token)).json()["items"]
    found: dict[str, Any] = next(o for o in offers if o["id"] == offer_id)
    return found


def test_ended_offer_is_expired_everywhere(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    text = issue(client, token, offer["id"])
    now = datetime.now(UTC)
    _window(client, token, offer["id"], valid_from=now - timedelta(days=9),
            valid_until=now - timedelta(days=1))  # fmt: skip

    mine = _mine(client, token, offer["id"])
    assert (mine["status"], mine["effective_status"]) == ("active", "expired")
    public = client.get(f"/api/v1/offers/{offer['id']}")
    assert public.status_code == 410 and public.json()["error"]["code"] == "expired"
    assert client.get(f"/offers/{offer['id']}").status_code == 410
    scanned = client.post("/api/v1/scan", json={"text": text}).json()
    assert (scanned["verdict"], scanned["reason"]) == ("ours_invalid", "expired")
    assert client.get("/C/" + text.rsplit("/", 1)[-1]).status_code == 410


def test_not_yet_started_offer_is_scheduled(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    text = issue(client, token, offer["id"])
    _window(client, token, offer["id"], valid_from=datetime.now(UTC) + timedelta(days=3))
    assert _mine(client, token, offer["id"])["effective_status"] == "scheduled"
    public = client.get(f"/api/v1/offers/{offer['id']}").json()
    assert (public["status"], public["effective_status"]) == ("active", "scheduled")
    scanned = client.post("/api/v1/scan", json={"text": text}).json()
    assert scanned["verdict"] == "ours" and scanned["offer"]["effective_status"] == "scheduled"
    page = client.get(f"/offers/{offer['id']}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Not available yet" in page.text

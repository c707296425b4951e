"""Offer edits racing each other on a live server: the version check is atomic.

On PostgreSQL nothing serialises these requests but the row lock the service takes, so
without it several PATCHes with the same ``If-Match`` all succeeded.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from helpers import register
from live import bearer, clients, close_all, live_app, outcome, race

from relaycode.config import Settings

RACERS = 30


def _shop(c: httpx.Client) -> tuple[dict[str, str], int]:
    headers = bearer(register(c, "alice"))
    r = c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=headers)
    assert r.status_code == 201, r.text
    body = {"title": "Green tea", "price_minor": 1250, "currency": "CNY"}
    r = c.post("/api/v1/merchants/shop/offers", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return headers, r.json()["id"]


def _offer(c: httpx.Client, headers: dict[str, str], offer_id: int) -> dict[str, Any]:
    r = c.get("/api/v1/merchants/shop/offers?include_archived=true", headers=headers)
    found: dict[str, Any] = next(o for o in r.json()["items"] if o["id"] == offer_id)
    return found


def test_patch_with_if_match_has_one_winner_per_round(settings: Settings) -> None:
    with live_app(settings) as (url, _app):
        cs = clients(url, RACERS)
        try:
            headers, offer_id = _shop(cs[0])
            for round_no in range(1, 6):
                version = round_no  # each round starts from the version the last one made

                def patch(i: int, version: int = version) -> tuple[int, str | None]:
                    r = cs[i].patch(
                        f"/api/v1/offers/{offer_id}",
                        json={"title": f"round {version} racer {i}"},
                        headers={**headers, "If-Match": str(version)},
                    )
                    return outcome(r)

                counts = Counter(race(RACERS, patch))
                assert counts == {(200, None): 1, (409, "version_conflict"): RACERS - 1}, counts
            assert _offer(cs[0], headers, offer_id)["version"] == 6
        finally:
            close_all(cs)


def test_patches_without_if_match_lose_no_update(settings: Settings) -> None:
    """Last writer wins, but every write counts: each success gets a version of its own."""
    with live_app(settings) as (url, _app):
        cs = clients(url, RACERS)
        try:
            headers, offer_id = _shop(cs[0])
            path = f"/api/v1/offers/{offer_id}"
            bodies = race(
                RACERS,
                lambda i: cs[i].patch(path, json={"region": f"r{i}"}, headers=headers).json(),
            )
            versions = sorted(b["version"] for b in bodies)
            assert versions == list(range(2, RACERS + 2))
            assert _offer(cs[0], headers, offer_id)["version"] == RACERS + 1
        finally:
            close_all(cs)


def test_status_changes_and_edits_with_if_match_have_one_winner(settings: Settings) -> None:
    """Pause, archive and edit, all claiming version 1: exactly one of them happens."""
    with live_app(settings) as (url, _app):
        cs = clients(url, RACERS)
        try:
            headers, offer_id = _shop(cs[0])
            claim = {**headers, "If-Match": "1"}

            def act(i: int) -> tuple[int, str | None]:
                c, path = cs[i], f"/api/v1/offers/{offer_id}"
                if i % 3 == 0:
                    return outcome(c.post(path + "/pause", headers=claim))
                if i % 3 == 1:
                    return outcome(c.post(path + "/archive", headers=claim))
                return outcome(c.patch(path, json={"title": f"edit {i}"}, headers=claim))

            counts = Counter(race(RACERS, act))
            assert counts == {(200, None): 1, (409, "version_conflict"): RACERS - 1}, counts
            offer = _offer(cs[0], headers, offer_id)
            assert offer["version"] == 2
            changed = (offer["status"] != "active") + (offer["title"] != "Green tea")
            assert changed == 1, offer
        finally:
            close_all(cs)

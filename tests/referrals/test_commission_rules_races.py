"""Commission rules changed by many at once, on a live server: the version check holds.

The first rules of a merchant (or of an offer) do not exist yet, so there is no rules row
to lock: the merchant's (or the offer's) row is locked first. Without that, every racer
saw "version 0" and PostgreSQL answered all but one with a duplicate primary key (500).
"""

from __future__ import annotations

from collections import Counter

import httpx
from helpers import register
from live import bearer, clients, close_all, live_app, outcome, race

from relaycode.config import Settings

RACERS = 20
RULES = {"currency": "CNY", "levels": [{"percent_bp": 1000}], "max_depth": 1}


def _shop(c: httpx.Client) -> tuple[dict[str, str], int]:
    headers = bearer(register(c, "alice"))
    r = c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=headers)
    assert r.status_code == 201, r.text
    body = {"title": "Green tea", "price_minor": 19_900, "currency": "CNY"}
    r = c.post("/api/v1/merchants/shop/offers", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return headers, r.json()["id"]


def test_first_and_later_saves_with_if_match_have_one_winner(settings: Settings) -> None:
    with live_app(settings) as (url, _app):
        cs = clients(url, RACERS)
        try:
            headers, offer_id = _shop(cs[0])
            for path in ("/api/v1/merchants/shop/commission-rules",
                         f"/api/v1/offers/{offer_id}/commission-rules"):  # fmt: skip
                for version in range(3):

                    def put(
                        i: int, version: int = version, path: str = path
                    ) -> tuple[int, str | None]:
                        body = {**RULES, "levels": [{"percent_bp": 100 + i}]}
                        r = cs[i].put(
                            path, json=body, headers={**headers, "If-Match": str(version)}
                        )
                        return outcome(r)

                    counts = Counter(race(RACERS, put))
                    assert counts == {(200, None): 1, (409, "version_conflict"): RACERS - 1}, counts
                assert cs[0].get(path, headers=headers).json()["version"] == 3
        finally:
            close_all(cs)


def test_saves_without_if_match_all_count(settings: Settings) -> None:
    """Last writer wins, but each success gets a version of its own (none is lost)."""
    with live_app(settings) as (url, _app):
        cs = clients(url, RACERS)
        try:
            headers, offer_id = _shop(cs[0])
            path = f"/api/v1/offers/{offer_id}/commission-rules"

            def put(i: int) -> int:
                r = cs[i].put(path, json=RULES, headers=headers)
                assert r.status_code == 200, r.text
                version: int = r.json()["version"]
                return version

            assert sorted(race(RACERS, put)) == list(range(1, RACERS + 1))
        finally:
            close_all(cs)

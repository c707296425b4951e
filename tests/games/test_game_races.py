"""Joining and sharing a combining game under real concurrency (a live server, one
connection per racer; SQLite and PostgreSQL): round robin deals evenly because every
join locks the offer first, and a player racing to change their pick while sharing
never ends with a share made under an attribute they no longer hold."""

from __future__ import annotations

from collections import Counter

from game_support import WATER
from helpers import register
from live import bearer, clients, close_all, live_app, race
from sqlalchemy import select

from relaycode.config import Settings
from relaycode.models import GamePlayer

RACERS = 12


def _game(c: object, token: str, assignment: str) -> tuple[int, str]:
    import httpx

    assert isinstance(c, httpx.Client)
    h = bearer(token)
    assert c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=h).is_success
    offer = c.post("/api/v1/merchants/shop/offers", json={"title": "Water"}, headers=h).json()
    r = c.put(f"/api/v1/offers/{offer['id']}/game", json={**WATER, "assignment": assignment},
              headers=h)  # fmt: skip
    assert r.status_code == 200, r.text
    text: str = c.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=h).json()["text"]
    return int(offer["id"]), text


def test_round_robin_joins_at_once_spread_evenly(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        cs = clients(url, RACERS)
        try:
            offer_id, root = _game(cs[0], register(cs[0], "owner"), "round_robin")
            tokens = [register(cs[0], f"player{i}") for i in range(RACERS)]
            # Half join, half share straight away (which deals an attribute too).
            results = race(
                RACERS,
                lambda i: (
                    cs[i].post(f"/api/v1/offers/{offer_id}/game/join", headers=bearer(tokens[i]))
                    if i % 2
                    else cs[i].post(
                        "/api/v1/shares", json={"code": root}, headers=bearer(tokens[i])
                    )
                ),
            )
        finally:
            close_all(cs)
        assert all(r.status_code == 201 for r in results), [r.text for r in results]
        with app.state.rc.db.transaction() as db:
            held = Counter(db.scalars(select(GamePlayer.attribute).where(
                GamePlayer.offer_id == offer_id)))  # fmt: skip
        assert held == {"O": RACERS // 3, "H": RACERS // 3, "C": RACERS // 3}


def test_changing_a_pick_while_sharing_keeps_codes_true(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        cs = clients(url, RACERS)
        try:
            offer_id, root = _game(cs[0], register(cs[0], "owner"), "choose")
            alice = register(cs[0], "alice")
            r = cs[0].post(f"/api/v1/offers/{offer_id}/game/join", json={"attribute": "O"},
                           headers=bearer(alice))  # fmt: skip
            assert r.status_code == 201
            results = race(
                RACERS,
                lambda i: (
                    cs[i].post("/api/v1/shares", json={"code": root}, headers=bearer(alice))
                    if i == 0
                    else cs[i].post(
                        f"/api/v1/offers/{offer_id}/game/join",
                        json={"attribute": "H"},
                        headers=bearer(alice),
                    )
                ),
            )
            shared = results[0].json()["code"]
            game = cs[0].post("/api/v1/scan", json={"text": shared}).json()["game"]
        finally:
            close_all(cs)
        assert results[0].status_code == 201
        with app.state.rc.db.transaction() as db:
            row = db.scalar(select(GamePlayer).where(GamePlayer.offer_id == offer_id))
            assert row is not None
            final = row.attribute
        # Whatever won, the code stands on the attribute alice holds now, fixed from then on.
        assert game["composition"] == {final: 1}
        changes = Counter(r.status_code for r in results[1:])
        assert set(changes) <= {201, 200, 409}

"""Shares under real concurrency (a live server, one connection per racer; SQLite and
PostgreSQL): one sharer pressing Share on many devices at once gets one code; many
sharers of one parent at once each get their own; racing reviews leave one review."""

from __future__ import annotations

from collections import Counter

import httpx
from helpers import register
from live import bearer, clients, close_all, live_app, outcome, race
from sqlalchemy import func, select

from relaycode.config import Settings
from relaycode.models import Code, ShareReview

RACERS = 20


def _offer_code(c: httpx.Client, token: str) -> str:
    headers = bearer(token)
    r = c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=headers)
    assert r.status_code == 201, r.text
    body = {"title": "Green tea", "price_minor": 1250, "currency": "CNY"}
    offer = c.post("/api/v1/merchants/shop/offers", json=body, headers=headers).json()
    r = c.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=headers)
    assert r.status_code == 201, r.text
    text: str = r.json()["text"]
    return text


def test_one_sharer_racing_one_parent_gets_one_child(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        cs = clients(url, RACERS)
        try:
            owner = register(cs[0], "owner")
            parent = _offer_code(cs[0], owner)
            alice = register(cs[0], "alice")
            results = race(
                RACERS,
                lambda i: cs[i].post(
                    "/api/v1/shares",
                    json={"code": parent, "channel": f"device-{i}"},
                    headers=bearer(alice),
                ),
            )
        finally:
            close_all(cs)
        outcomes = Counter(outcome(r) for r in results)
        assert outcomes == {(201, None): 1, (200, None): RACERS - 1}, outcomes
        assert len({r.json()["id"] for r in results}) == 1
        assert len({r.json()["code"] for r in results}) == 1
        with app.state.rc.db.transaction() as db:
            n = db.scalar(select(func.count()).select_from(Code).where(Code.kind == "share"))
        assert n == 1


def test_many_sharers_of_one_parent_each_get_their_own(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        cs = clients(url, RACERS)
        try:
            owner = register(cs[0], "owner")
            parent = _offer_code(cs[0], owner)
            tokens = [register(cs[0], f"user{i}") for i in range(RACERS)]
            results = race(
                RACERS,
                lambda i: cs[i].post(
                    "/api/v1/shares", json={"code": parent}, headers=bearer(tokens[i])
                ),
            )
            review_of = results[0].json()["id"]
            reviews = race(
                RACERS,
                lambda i: cs[i].put(
                    f"/api/v1/shares/{review_of}/review",
                    json={"rating": 1 + i % 5, "text": f"take {i}"},
                    headers=bearer(tokens[0]),
                ),
            )
        finally:
            close_all(cs)
        assert Counter(outcome(r) for r in results) == {(201, None): RACERS}
        assert len({r.json()["id"] for r in results}) == RACERS
        assert {r.json()["depth"] for r in results} == {1}
        assert Counter(outcome(r) for r in reviews) == {(200, None): RACERS}
        with app.state.rc.db.transaction() as db:
            n = db.scalar(select(func.count()).select_from(Code).where(Code.kind == "share"))
            stored = db.scalars(select(ShareReview)).all()
        assert n == RACERS
        assert len(stored) == 1 and stored[0].code_id == review_of
        assert stored[0].text in {f"take {i}" for i in range(RACERS)}

"""Phone-made shares under real concurrency (a live server, one connection per racer;
SQLite and PostgreSQL): many first resolves of one new child at once — scans, page
opens, re-shares — register exactly one row, and every answer names it."""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

import httpx
from helpers import register
from live import bearer, clients, close_all, live_app, race
from sqlalchemy import func, select

from relaycode.codes.share_tokens import decode_share_token, make_share_body
from relaycode.codes.tokens import decode_token
from relaycode.config import Settings
from relaycode.models import Code
from relaycode.referrals import offline

RACERS = 20


def _setup(c: httpx.Client, app: Any) -> tuple[str, str, str]:
    """(owner's token, the offer code's text, a phone-made child of it by alice)."""
    owner = register(c, "owner")
    headers = bearer(owner)
    assert c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=headers)
    body = {"title": "Green tea", "price_minor": 1250, "currency": "CNY"}
    offer = c.post("/api/v1/merchants/shop/offers", json=body, headers=headers).json()
    parent: str = c.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=headers).json()[
        "text"
    ]
    alice = register(c, "alice")
    key = c.post("/api/v1/me/device/share-key", headers=bearer(alice)).json()
    raw_key = base64.urlsafe_b64decode(key["key"] + "=")
    parent_id = decode_token(parent.rsplit("/", 1)[-1], app.state.rc.keyring.hmac_key).code_id
    child_body = make_share_body(
        key["kid"], raw_key, bytes.fromhex(key["device_pid"]), parent_id, 1
    )
    return owner, parent, key["prefix"] + child_body


def _count(app: Any) -> int:
    with app.state.rc.db.transaction() as db:
        n: int = (
            db.scalar(select(func.count()).select_from(Code).where(Code.format_version == 2)) or 0
        )
    return n


def test_racing_first_scans_register_one_row(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        cs = clients(url, RACERS)
        try:
            _owner, _parent, child = _setup(cs[0], app)
            results = race(RACERS, lambda i: cs[i].post("/api/v1/scan", json={"text": child}))
        finally:
            close_all(cs)
        assert Counter(r.status_code for r in results) == {200: RACERS}
        answers = {(r.json()["verdict"], r.json()["code"]["id"]) for r in results}
        assert len(answers) == 1 and next(iter(answers))[0] == "ours"
        assert {r.json()["sharer"]["username"] for r in results} == {"alice"}
        assert _count(app) == 1


def test_racing_scans_page_opens_and_re_shares_register_one_row(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        cs = clients(url, RACERS)
        try:
            _owner, _parent, child = _setup(cs[0], app)
            sharers = [register(cs[0], f"user{i}") for i in range(RACERS)]
            token = child.rsplit("/", 1)[-1]

            def attempt(i: int) -> httpx.Response:
                if i % 3 == 0:
                    return cs[i].get(f"/S/{token}")
                if i % 3 == 1:
                    return cs[i].post(
                        "/api/v1/shares", json={"code": child}, headers=bearer(sharers[i])
                    )
                return cs[i].post("/api/v1/scan", json={"text": child})

            results = race(RACERS, attempt)
        finally:
            close_all(cs)
        assert all(r.status_code in (200, 201) for r in results), [
            (r.status_code, r.text[:200]) for r in results if r.status_code >= 300
        ]
        assert _count(app) == 1
        with app.state.rc.db.transaction() as db:
            [row] = db.scalars(select(Code).where(Code.format_version == 2))
            grandchildren = db.scalars(select(Code).where(Code.parent_id == row.id)).all()
        assert len(grandchildren) == len(range(1, RACERS, 3))
        assert all(g.depth == 2 for g in grandchildren)


def test_register_itself_under_racing_sessions(settings: Settings) -> None:
    """Below the HTTP layer: threads with sessions of their own call ``register`` at once
    (no pre-check outside the lock); one writes the row, every one returns it."""
    with live_app(settings) as (url, app):
        cs = clients(url, 1)
        try:
            _owner, _parent, child = _setup(cs[0], app)
        finally:
            close_all(cs)
        state = app.state.rc
        token = decode_share_token(child.rsplit("/", 1)[-1], state.keyring.hmac_key)

        def attempt(_i: int) -> str:
            with state.db.transaction() as db:
                return offline.register(db, token).id

        ids = race(8, attempt)  # released together by a barrier
        assert set(ids) == {token.code_hex}
        assert _count(app) == 1

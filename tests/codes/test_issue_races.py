"""Issuing a code while the offer is archived: lock the offer, then check, then insert.

On PostgreSQL nothing but the offer's row lock orders an issue against an archive. Before
the lock, a request that had loaded the offer earlier inserted an active code on an offer
archived (and committed) in between; 20 issuers racing one archive left such codes.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from conftest import BACKEND
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register
from live import bearer, clients, close_all, live_app, outcome, race
from sqlalchemy import select

from relaycode.catalog import service as catalog
from relaycode.codes import service as codes
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.errors import Conflict
from relaycode.models import Code, Offer

RACERS = 21


@pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="on SQLite a writable session holds the database's one write lock from its "
    "first read, so another transaction cannot archive in between",
)
def test_issue_sees_an_archive_committed_after_the_offer_was_loaded(app: Any) -> None:
    with TestClient(app) as client:
        token = register(client)
        offer_id = merchant_with_offer(client, token)["id"]
    state = app.state.rc
    with state.db.transaction() as a:
        stale = catalog.get_offer(a, offer_id)  # A has read the offer: active
        with state.db.transaction() as b:
            catalog.change_status(b, catalog.get_offer(b, offer_id), "archive")
        # B committed. A's copy still says active; the rule must be checked on the row.
        assert stale.status == "active"
        with pytest.raises(Conflict) as err:
            codes.issue_offer_code(a, state.keyring, stale)
        assert err.value.code == "offer_archived"
    with state.db.transaction() as db:
        assert db.scalars(select(Code).where(Code.offer_id == offer_id)).all() == []


def test_issuing_for_an_ended_offer_is_refused(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    ended = (utcnow() - timedelta(days=1)).isoformat()
    r = client.patch(
        f"/api/v1/offers/{offer['id']}", json={"valid_until": ended}, headers=auth(token)
    )
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=auth(token))
    assert r.status_code == 409 and r.json()["error"]["code"] == "offer_expired"


def test_no_code_is_born_active_after_the_archive_commits(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        cs = clients(url, RACERS)
        try:
            r = cs[0].post(
                "/api/v1/auth/register", json={"username": "alice", "password": "correct horse 1"}
            )
            headers = bearer(r.json()["token"])
            r = cs[0].post(
                "/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=headers
            )
            assert r.status_code == 201, r.text
            body = {"title": "Green tea", "price_minor": 1250, "currency": "CNY"}
            offer_id = (
                cs[0].post("/api/v1/merchants/shop/offers", json=body, headers=headers).json()["id"]
            )
            path = f"/api/v1/offers/{offer_id}"

            def act(i: int) -> tuple[str, tuple[int, str | None]]:
                if i == RACERS // 2:
                    return "archive", outcome(cs[i].post(path + "/archive", headers=headers))
                return "issue", outcome(cs[i].post(path + "/codes", json={}, headers=headers))

            counts = Counter(race(RACERS, act))
            assert counts[("archive", (200, None))] == 1, counts
            issued = counts[("issue", (201, None))]
            refused = counts[("issue", (409, "offer_archived"))]
            assert issued + refused == RACERS - 1, counts
            with app.state.rc.db.transaction() as db:
                archived_at = db.get(Offer, offer_id).updated_at
                made = db.scalars(select(Code).where(Code.offer_id == offer_id)).all()
            assert len(made) == issued
            late = [c.id for c in made if c.status == "active" and c.created_at > archived_at]
            assert late == [], (archived_at, late)
        finally:
            close_all(cs)

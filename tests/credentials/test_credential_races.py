"""Redeems and endorsements racing, each racer in its own session and connection (on
SQLite and PostgreSQL): exactly one redeem of a single-use credential, a balance never
below zero, an endorsement and a redeem never both winning, one redemption per nonce."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from live import race
from sqlalchemy import func, select

from relaycode.credentials import claims, endorse, redeem
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.errors import AppError
from relaycode.identity import repository as id_repo
from relaycode.models import Credential, CredentialRedemption

RACERS = 200


@pytest.fixture
def db(app: Any) -> Iterator[Database]:
    database = Database(make_engine(app.state.rc.settings.resolved_database_url))
    yield database
    database.dispose()


@pytest.fixture
def world(client: TestClient) -> World:
    return make_world(client)


def _redeem(app: Any, db: Database, text: str, nonce: str, amount: int | None = None) -> str:
    rc = app.state.rc
    try:
        with db.transaction() as s:
            teller = id_repo.user_by_username(s, "teller")
            assert teller is not None
            done = redeem.redeem(
                s, rc.settings, rc.keyring, teller, text=text, nonce=nonce, amount=amount
            )
            r = done.redemption
            return f"{r.verdict}:{r.reason or ''}:{r.id}"
    except AppError as exc:
        return f"error:{exc.code}"


def _row(db: Database, credential_id: str) -> tuple[str, int | None, int | None]:
    with db.transaction() as s:
        c = s.get(Credential, credential_id)
        assert c is not None
        return c.status, c.uses_left, c.balance_minor


def test_200_redeems_of_a_single_use_credential(
    client: TestClient, app: Any, db: Database, world: World
) -> None:
    cid, text = world.credential(client, world.template(client))
    results = race(RACERS, lambda i: _redeem(app, db, text, f"n{i}"))
    kinds = Counter(r.rsplit(":", 1)[0] for r in results)
    assert kinds == {"accepted:": 1, "refused:already_redeemed": RACERS - 1}
    assert _row(db, cid) == ("exhausted", 0, None)


def test_200_amounts_against_one_balance(
    client: TestClient, app: Any, db: Database, world: World
) -> None:
    bal = world.template(client, use_mode="balance", currency="CNY")
    cid, text = world.credential(client, bal, amount=10_000)
    amounts = [random.Random(i).randint(1, 150) for i in range(RACERS)]
    results = race(RACERS, lambda i: _redeem(app, db, text, f"a{i}", amounts[i]))
    won = [amounts[i] for i, r in enumerate(results) if r.startswith("accepted")]
    # Refused: short of the balance, or (once it reached exactly 0) used up.
    refusals = ("refused:insufficient_balance", "refused:already_redeemed")
    assert all(r.startswith(("accepted", *refusals)) for r in results), Counter(results)
    assert sum(won) <= 10_000
    status, _, left = _row(db, cid)
    assert left == 10_000 - sum(won) and left >= 0
    assert status == ("exhausted" if left == 0 else "active")


def test_endorse_racing_redeem(client: TestClient, app: Any, db: Database, world: World) -> None:
    tid = world.template(client)
    pairs = [world.credential(client, tid) for _ in range(8)]
    rc = app.state.rc

    def work(i: int) -> str:
        cid, text = pairs[i // 2]
        if i % 2:
            return "redeem:" + _redeem(app, db, text, f"e{i}").split(":")[1]  # the reason
        try:
            with db.transaction() as s:
                alice = id_repo.user_by_username(s, "alice")
                assert alice is not None
                endorse.endorse(s, rc.keyring, alice, cid, "bob")
                return "endorse:ok"
        except AppError as exc:
            return f"endorse:{exc.code}"

    results = race(2 * len(pairs), work)
    for n in range(len(pairs)):
        pair = {results[2 * n], results[2 * n + 1]}
        assert pair in (
            {"endorse:ok", "redeem:revoked"},
            {"endorse:credential_not_active", "redeem:"},
        ), pair


def test_a_nonce_racing_itself_redeems_once(
    client: TestClient, app: Any, db: Database, world: World
) -> None:
    many = world.template(client, use_mode="count", max_uses=100)
    cid, text = world.credential(client, many)
    other, other_text = world.credential(client, many)
    texts = [text if i % 4 else other_text for i in range(50)]
    results = race(50, lambda i: _redeem(app, db, texts[i], "same"))
    assert len(set(results)) == 1 and results[0].startswith("accepted")
    with db.transaction() as s:
        count = s.scalar(select(func.count()).select_from(CredentialRedemption))
    assert count == 1
    assert {_row(db, cid)[1], _row(db, other)[1]} == {99, 100}


def test_claims_racing_make_one_credential(
    client: TestClient, app: Any, db: Database, world: World
) -> None:
    item = world.issue(client, world.template(client))
    rc = app.state.rc

    def work(i: int) -> str:
        with db.transaction() as s:
            alice = id_repo.user_by_username(s, "alice")
            assert alice is not None
            done = claims.claim(s, rc.settings, rc.keyring, alice, item["text"])
            return f"{done.created}:{done.credential.id}"

    results = Counter(race(30, work))
    ids = {r.split(":")[1] for r in results}
    assert len(ids) == 1 and results[f"True:{ids.pop()}"] == 1
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Credential)) == 1

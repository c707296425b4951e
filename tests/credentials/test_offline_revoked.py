"""Offline uploads of credentials revoked or endorsed *now* (credentials/offline_lineage.py):
redeemed before the revocation (counted, `revoked_after`) or after it (a `revoked`
conflict); endorsed, with the successor redeemed (a double payout: conflict) or not (the
successor is used up); count mode N + 1 across stations and generations; the issuer's
list; and uploads racing an endorsement on real concurrent connections."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth
from live import race
from sqlalchemy import select

from relaycode.credentials import endorse, offline_redeem
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.errors import AppError
from relaycode.identity import repository as id_repo
from relaycode.models import Credential, CredentialRedemption

URL = "/api/v1/redemptions/offline"


@pytest.fixture
def world(client: TestClient) -> World:
    return make_world(client)


def _at(seconds: float) -> str:
    """``seconds`` from now (negative: before); within the test key's short life."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _signed(client: TestClient, cid: str, token: str) -> str:
    r = client.get(f"/api/v1/credentials/{cid}/presentation?form=signed", headers=auth(token))
    assert r.status_code == 200, r.text
    text: str = r.json()["text"]
    return text


def _new(client: TestClient, world: World, tid: int) -> tuple[str, str]:
    cid, _ = world.credential(client, tid)
    return cid, _signed(client, cid, world.alice)


def _up(client: TestClient, world: World, station: str, text: str, nonce: str, at: str) -> Any:
    body = {"station": station, "redemptions": [{"text": text, "nonce": nonce, "redeemed_at": at}]}
    r = client.post(URL, json=body, headers=auth(world.teller))
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def _endorse(client: TestClient, world: World, cid: str) -> str:
    r = client.post(f"/api/v1/credentials/{cid}/endorse", json={"to": "bob"},
                    headers=auth(world.alice))  # fmt: skip
    assert r.status_code == 201, r.text
    new: str = r.json()["id"]
    return new


def _state(client: TestClient, world: World, cid: str, token: str) -> tuple[str, int | None]:
    r = client.get(f"/api/v1/credentials/{cid}", headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()["status"], r.json()["uses_left"]


def _conflicts(client: TestClient, world: World) -> dict[int, Any]:
    r = client.get(f"/api/v1/merchants/{world.merchant_id}/redemption-conflicts",
                   headers=auth(world.owner))  # fmt: skip
    assert r.status_code == 200, r.text
    return {row["id"]: row for row in r.json()["items"]}


def _inbox(client: TestClient, token: str) -> list[Any]:
    r = client.get("/api/v1/me/inbox", headers=auth(token))
    assert r.status_code == 200, r.text
    items: list[Any] = r.json()["items"]
    return items


def test_revoked_before_and_after_redeemed_at(client: TestClient, world: World) -> None:
    tid = world.template(client)
    before, before_text = _new(client, world, tid)
    after, after_text = _new(client, world, tid)
    for cid in (before, after):
        r = client.post(f"/api/v1/credentials/{cid}/revoke", headers=auth(world.owner))
        assert r.status_code == 200, r.text
    # Paid out before the issuer revoked it: the use counts, the issuer is told.
    paid = _up(client, world, "gate-a", before_text, "a1", _at(-3))
    assert (paid["status"], paid["reason"]) == ("accepted", "revoked_after")
    assert _state(client, world, before, world.alice) == ("revoked", 0)  # still revoked
    # A second station paid the same single-use bill before the revocation too.
    twice = _up(client, world, "gate-b", before_text, "b1", _at(-2))
    assert (twice["status"], twice["reason"]) == ("conflict", "revoked_after")
    # Redeemed after the revocation: the station's list was stale.
    stale = _up(client, world, "gate-a", after_text, "a2", _at(1))
    assert (stale["status"], stale["reason"]) == ("conflict", "revoked")
    rows = _conflicts(client, world)
    assert rows[paid["redemption_id"]]["verdict"] == "accepted"
    assert rows[paid["redemption_id"]]["revoked_at"] is not None
    row = rows[twice["redemption_id"]]
    assert row["first"]["redemption_id"] == paid["redemption_id"]
    assert row["conflict"]["station"] == "gate-b" and row["first"]["station"] == "gate-a"
    row = rows[stale["redemption_id"]]
    assert row["verdict"] == "conflict" and row["first"] is None
    assert row["conflict"]["redeemed_at"] > row["revoked_at"]


def test_endorsed_then_the_old_one_uploaded(client: TestClient, world: World) -> None:
    tid = world.template(client)
    # The successor was not redeemed: the old use counts and uses the bill up.
    old, old_text = _new(client, world, tid)
    at = _at(-3)
    new = _endorse(client, world, old)
    new_ref, new_signed = world.present(client, new, world.bob), _signed(client, new, world.bob)
    paid = _up(client, world, "gate-a", old_text, "o1", at)
    assert (paid["status"], paid["reason"]) == ("accepted", "revoked_after")
    assert _state(client, world, new, world.bob) == ("exhausted", 0)
    # Bob, who holds the bill now, is told why it has nothing left; Alice is not.
    told = [i for i in _inbox(client, world.bob) if i["kind"] == "credential_used_earlier"]
    assert [i["url"] for i in told] == [f"/me/credentials/{new}"], told
    assert not [i for i in _inbox(client, world.alice) if i["kind"] == "credential_used_earlier"]
    again = _up(client, world, "gate-a", old_text, "o1", at)  # a retried upload: told once
    assert again["redemption_id"] == paid["redemption_id"]
    assert (
        len([i for i in _inbox(client, world.bob) if i["kind"] == "credential_used_earlier"]) == 1
    )
    r = world.redeem(client, new_ref, "online-1")
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_redeemed"
    late = _up(client, world, "gate-b", new_signed, "n1", _at(0))
    assert (late["status"], late["reason"]) == ("conflict", "already_redeemed")
    rows = _conflicts(client, world)
    assert rows[late["redemption_id"]]["first"]["credential_id"] == old
    # The successor was redeemed already: a double payout, the issuer settles it.
    old2, old2_text = _new(client, world, tid)
    at = _at(-3)
    new2 = _endorse(client, world, old2)
    r = world.redeem(client, world.present(client, new2, world.bob), "online-2")
    assert r.status_code == 201, r.text
    double = _up(client, world, "gate-a", old2_text, "o2", at)
    assert (double["status"], double["reason"]) == ("conflict", "revoked_after")
    row = _conflicts(client, world)[double["redemption_id"]]
    assert row["credential_id"] == old2 and row["first"]["credential_id"] == new2
    # Redeemed after the endorsement (a stale list): a conflict with the successor's use.
    stale = _up(client, world, "gate-c", old2_text, "o3", _at(1))
    assert (stale["status"], stale["reason"]) == ("conflict", "revoked")
    assert _conflicts(client, world)[stale["redemption_id"]]["first"]["credential_id"] == new2


def test_count_mode_n_plus_one_across_stations(client: TestClient, world: World) -> None:
    tid = world.template(client, use_mode="count", max_uses=3)
    _, text = _new(client, world, tid)
    got = [_up(client, world, f"gate-{i}", text, f"c{i}", _at(-4 + i)) for i in range(4)]
    assert [g["status"] for g in got] == ["accepted"] * 3 + ["conflict"]
    assert got[3]["reason"] == "already_redeemed"
    assert got[3]["redemption_id"] in _conflicts(client, world)


def test_count_mode_across_an_endorsement(client: TestClient, world: World) -> None:
    tid = world.template(client, use_mode="count", max_uses=3)
    old, old_text = _new(client, world, tid)
    times = [_at(-4), _at(-3)]
    new = _endorse(client, world, old)  # 3 uses copied to bob's
    r = world.redeem(client, world.present(client, new, world.bob), "online-1")
    assert r.status_code == 201, r.text
    got = [_up(client, world, f"gate-{i}", old_text, f"o{i}", t) for i, t in enumerate(times)]
    assert [(g["status"], g["reason"]) for g in got] == [("accepted", "revoked_after")] * 2
    assert _state(client, world, new, world.bob) == ("exhausted", 0)
    extra = _up(client, world, "gate-9", old_text, "o9", times[0])
    assert (extra["status"], extra["reason"]) == ("conflict", "revoked_after")


@pytest.fixture
def db(app: Any) -> Iterator[Database]:
    database = Database(make_engine(app.state.rc.settings.resolved_database_url))
    yield database
    database.dispose()


def test_uploads_racing_an_endorsement(
    client: TestClient, app: Any, db: Database, world: World
) -> None:
    """Each credential: alice endorses it while two stations upload it (redeemed before),
    at once. Whatever the order, its lineage has exactly one accepted use, the other
    upload is a conflict, and bob's successor (if it was made) is used up."""
    tid = world.template(client)
    creds = [_new(client, world, tid) for _ in range(6)]
    at = datetime.now(UTC) - timedelta(seconds=5)
    rc = app.state.rc

    def work(i: int) -> str:
        cid, text = creds[i // 3]
        try:
            with db.transaction() as s:
                if i % 3 == 0:
                    alice = id_repo.user_by_username(s, "alice")
                    assert alice is not None
                    endorse.endorse(s, rc.keyring, alice, cid, "bob")
                    return "endorse:ok"
                teller = id_repo.user_by_username(s, "teller")
                assert teller is not None
                item = offline_redeem.Item(text, f"r{i}", at)
                (o,) = offline_redeem.upload(s, rc.settings, rc.keyring, teller, f"g{i}", [item])
                return f"upload:{o.status}"
        except AppError as exc:
            return f"endorse:{exc.code}"

    results = race(3 * len(creds), work)
    for n, (cid, _) in enumerate(creds):
        got = Counter(results[3 * n : 3 * n + 3])
        assert got["upload:accepted"] == 1 and got["upload:conflict"] == 1, got
        with db.transaction() as s:
            first = s.get(Credential, cid)
            assert first is not None
            chain = list(s.scalars(select(Credential).where(Credential.item_id == first.item_id)))
            ids = [c.id for c in chain]
            accepted = s.scalars(select(CredentialRedemption).where(
                CredentialRedemption.credential_id.in_(ids),
                CredentialRedemption.verdict == "accepted")).all()  # fmt: skip
            assert len(accepted) == 1
            if got["endorse:ok"]:
                assert {c.status for c in chain} == {"endorsed", "exhausted"}
            else:
                assert got["endorse:credential_not_active"] == 1
                assert [c.status for c in chain] == ["exhausted"]

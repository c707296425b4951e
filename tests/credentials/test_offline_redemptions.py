"""Offline redemptions uploaded later (POST /redemptions/offline): accepted, duplicate,
conflict (two stations, one single-use credential), refused (expired, station cap,
bad time, reference form, wrong merchant); the conflict list; and two stations racing
on real concurrent connections (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth, register
from live import race

from relaycode.credentials import offline_redeem
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.identity import repository as id_repo

URL = "/api/v1/redemptions/offline"


@pytest.fixture
def world(client: TestClient) -> World:
    return make_world(client)


def _ago(seconds: float) -> str:
    # Within the last minute: the test keyring's key is only seconds old, and a text is
    # verified (key validity too) at its redeemed_at.
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


def _signed(client: TestClient, world: World, tid: int, form: str = "signed") -> tuple[str, str]:
    item = world.issue(client, tid)
    cid = world.claim(client, item["text"])["id"]
    r = client.get(f"/api/v1/credentials/{cid}/presentation?form={form}", headers=auth(world.alice))
    assert r.status_code == 200, r.text
    return cid, r.json()["text"]


def _upload(client: TestClient, world: World, station: str, *items: dict[str, Any]) -> list[Any]:
    r = client.post(URL, json={"station": station, "redemptions": list(items)},
                    headers=auth(world.teller))  # fmt: skip
    assert r.status_code == 200, r.text
    out: list[Any] = r.json()["results"]
    return out


def test_accept_duplicate_conflict_and_the_list(client: TestClient, world: World) -> None:
    tid = world.template(client)
    cid, text = _signed(client, world, tid)
    a = {"text": text, "nonce": "a-1", "redeemed_at": _ago(3)}
    (first,) = _upload(client, world, "gate-a", a)
    assert first["status"] == "accepted" and first["reason"] is None, first
    # The same nonce again (a retried upload): the first result, nothing new.
    (again,) = _upload(client, world, "gate-a", a)
    assert again == {**first, "status": "duplicate", "first": "accepted"}
    # Another station let the same single-use holder in while offline too.
    (late,) = _upload(client, world, "gate-b", {"text": text, "nonce": "b-1",
                                               "redeemed_at": _ago(2)})  # fmt: skip
    assert late["status"] == "conflict" and late["reason"] == "already_redeemed"
    r = client.get(f"/api/v1/merchants/{world.merchant_id}/redemption-conflicts",
                   headers=auth(world.owner))  # fmt: skip
    assert r.status_code == 200, r.text
    (row,) = r.json()["items"]
    assert row["credential_id"] == cid and row["id"] == late["redemption_id"]
    assert row["conflict"]["station"] == "gate-b" and row["first"]["station"] == "gate-a"
    assert row["first"]["redemption_id"] == first["redemption_id"]
    audit = client.get(f"/api/v1/merchants/{world.merchant_id}/credential-audit",
                       headers=auth(world.owner)).json()["items"]  # fmt: skip
    assert any(a["action"] == "redeem_conflict" and a["station"] == "gate-b" for a in audit)
    # Verifiers upload but do not read the issuer's lists.
    r = client.get(f"/api/v1/merchants/{world.merchant_id}/redemption-conflicts",
                   headers=auth(world.teller))  # fmt: skip
    assert r.status_code == 404


def test_one_bad_item_does_not_spoil_the_batch(client: TestClient, world: World) -> None:
    tid = world.template(client, forms=["reference", "signed", "rotating"])
    soon = (datetime.now(UTC) + timedelta(seconds=90)).isoformat()
    _, short = _signed(client, world, world.template(client, valid_until=soon))
    _, signed = _signed(client, world, tid)
    _, rotating = _signed(client, world, tid, "rotating")
    _, ref = world.credential(client, tid)
    forged = signed[:-6] + ("A" if signed[-6] != "A" else "B") + signed[-5:]
    out = _upload(
        client, world, "gate-a",
        {"text": forged, "nonce": "x1", "redeemed_at": _ago(5)},
        {"text": signed, "nonce": "x2", "redeemed_at": _ago(5), "amount": 5},
        {"text": ref, "nonce": "x3", "redeemed_at": _ago(5)},
        {"text": signed, "nonce": "x4", "redeemed_at": _ago(-3600)},
        {"text": short, "nonce": "x5", "redeemed_at": _ago(-200)},
        {"text": rotating, "nonce": "x6", "redeemed_at": _ago(0)},
        {"text": signed, "nonce": "x7", "redeemed_at": _ago(4)},
    )  # fmt: skip
    got = [(o["status"], o["reason"]) for o in out]
    assert got[1] == ("refused", "amount_not_allowed")
    assert got[2:5] == [("refused", "not_offline_form"), ("refused", "bad_time"),
                        ("refused", "expired")]  # fmt: skip
    assert got[0][0] == "refused" and got[0][1] in ("bad_signature", "malformed")
    assert got[5] == ("accepted", None) and got[6] == ("accepted", None)


def test_a_full_queue_of_500_in_one_call(client: TestClient, world: World) -> None:
    forms = ["reference", "rotating"]
    tid = world.template(client, use_mode="count", max_uses=1000, forms=forms)
    _, text = _signed(client, world, tid, "rotating")  # the largest text: ~420 characters
    items = [{"text": text, "nonce": f"q{i}", "redeemed_at": _ago(1)} for i in range(500)]
    out = _upload(client, world, "gate-a", *items)
    got = Counter((o["status"], o["reason"]) for o in out)
    assert got == {("accepted", None): 4, ("refused", "station_cap"): 496}


def test_station_cap_per_hour(client: TestClient, world: World, app: Any) -> None:
    app.state.rc.settings.credential_offline_station_cap = 2
    tid = world.template(client, use_mode="count", max_uses=10)
    _, text = _signed(client, world, tid)
    at = _ago(1)  # one instant: one clock hour
    items = [{"text": text, "nonce": f"c{i}", "redeemed_at": at} for i in range(3)]
    out = _upload(client, world, "gate-a", *items)
    assert [o["status"] for o in out] == ["accepted", "accepted", "refused"]
    assert out[2]["reason"] == "station_cap"
    # Another station is not capped by this one.
    (other,) = _upload(client, world, "gate-b", {**items[2], "nonce": "d0"})
    assert other["status"] == "accepted"


def test_wrong_merchant_and_bad_bodies(client: TestClient, world: World) -> None:
    tid = world.template(client)
    _, text = _signed(client, world, tid)
    stranger = register(client, "stranger")
    one = {"text": text, "nonce": "n", "redeemed_at": _ago(1)}
    body: dict[str, Any] = {"station": "s", "redemptions": [one]}
    r = client.post(URL, json=body, headers=auth(stranger))
    assert r.status_code == 200 and r.json()["results"][0]["reason"] == "wrong_merchant"
    for bad in ({**body, "station": ""}, {**body, "station": "x" * 65}, {**body, "redemptions": []},
                {**body, "redemptions": [{"text": text, "nonce": "n",
                                          "redeemed_at": "2026-01-01T00:00:00"}]},
                {**body, "redemptions": [one] * 501}):  # fmt: skip
        r = client.post(URL, json=bad, headers=auth(world.teller))
        assert r.status_code == 422, (bad, r.text)


@pytest.fixture
def db(app: Any) -> Iterator[Database]:
    database = Database(make_engine(app.state.rc.settings.resolved_database_url))
    yield database
    database.dispose()


def _station(app: Any, db: Database, station: str, items: list[offline_redeem.Item]) -> list[str]:
    rc = app.state.rc
    with db.transaction() as s:
        teller = id_repo.user_by_username(s, "teller")
        assert teller is not None
        done = offline_redeem.upload(s, rc.settings, rc.keyring, teller, station, items)
        return [o.status for o in done]


def test_two_stations_upload_one_single_use_credential_at_once(
    client: TestClient, app: Any, db: Database, world: World
) -> None:
    tid = world.template(client)
    texts = [_signed(client, world, tid)[1] for _ in range(3)]
    at = datetime.now(UTC) - timedelta(seconds=5)
    # Each station's batch names all three, in the opposite order: no deadlock either.
    batches = [
        [offline_redeem.Item(t, f"{k}-{i}", at) for i, t in enumerate(order)]
        for k, order in (("a", texts), ("b", texts[::-1]))
    ]
    results = race(2, lambda i: _station(app, db, f"gate-{i}", batches[i]))
    assert Counter(results[0] + results[1]) == {"accepted": 3, "conflict": 3}

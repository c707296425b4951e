"""An offline upload's ``redeemed_at`` is the station's word. Later than the server's
clock is ``bad_time``; so is a time before the presented text could exist (before its
credential was made, or more than the signed form's life before its ``exp``): backdated
items would otherwise spread over past hours and slip past the per-station cap."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth

URL = "/api/v1/redemptions/offline"


@pytest.fixture
def world(client: TestClient, app: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    # A keyring whose signing key is years old, as in production: the key's own window
    # then says nothing against a backdated redeemed_at.
    keyring = app.state.rc.keyring
    listed: Callable[[], list[dict[str, Any]]] = keyring.trust_list

    def old_keys() -> list[dict[str, Any]]:
        return [{**k, "not_before": "2020-01-01T00:00:00+00:00"} for k in listed()]

    monkeypatch.setattr(keyring, "trust_list", old_keys)
    return make_world(client)


def _at(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()


def _signed(client: TestClient, world: World, tid: int) -> str:
    item = world.issue(client, tid)
    cid = world.claim(client, item["text"])["id"]
    r = client.get(f"/api/v1/credentials/{cid}/presentation?form=signed", headers=auth(world.alice))
    assert r.status_code == 200, r.text
    text: str = r.json()["text"]
    return text


def _upload(client: TestClient, world: World, *items: dict[str, Any]) -> list[Any]:
    r = client.post(URL, json={"station": "gate", "redemptions": list(items)},
                    headers=auth(world.teller))  # fmt: skip
    assert r.status_code == 200, r.text
    out: list[Any] = r.json()["results"]
    return out


def test_backdated_items_do_not_slip_past_the_station_cap(
    client: TestClient, world: World, app: Any
) -> None:
    app.state.rc.settings.credential_offline_station_cap = 2
    tid = world.template(client, use_mode="count", max_uses=20)
    text = _signed(client, world, tid)
    # One per past hour: each hour's count is 1, under the cap of 2.
    items = [{"text": text, "nonce": f"h{n}", "redeemed_at": _at(n)} for n in range(1, 9)]
    out = _upload(client, world, *items)
    assert [(o["status"], o["reason"]) for o in out] == [("refused", "bad_time")] * 8
    assert all(o["redemption_id"] is None for o in out)
    now = _upload(client, world, {"text": text, "nonce": "now", "redeemed_at": _at(0)})
    assert now[0]["status"] == "accepted"


def test_before_the_signed_form_was_made(client: TestClient, world: World) -> None:
    tid = world.template(client, use_mode="count", max_uses=20)
    text = _signed(client, world, tid)
    # Years before (the key was valid then): refused, not counted.
    (old,) = _upload(client, world, {"text": text, "nonce": "y", "redeemed_at": _at(24 * 400)})
    assert (old["status"], old["reason"]) == ("refused", "bad_time")
    # A few minutes of a station clock running slow is fine.
    (slow,) = _upload(client, world, {"text": text, "nonce": "s", "redeemed_at": _at(0.05)})
    assert slow["status"] == "accepted"


def test_before_its_credential_was_made(client: TestClient, world: World) -> None:
    # A credential ending in 2 hours: its signed form's exp is then, so the form's life
    # alone would allow a redeemed_at up to 22 hours ago; the credential is seconds old.
    until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    tid = world.template(client, use_mode="count", max_uses=20, valid_until=until)
    text = _signed(client, world, tid)
    (early,) = _upload(client, world, {"text": text, "nonce": "e", "redeemed_at": _at(5)})
    assert (early["status"], early["reason"]) == ("refused", "bad_time")
    (ok,) = _upload(client, world, {"text": text, "nonce": "k", "redeemed_at": _at(0)})
    assert ok["status"] == "accepted"

"""Endorsing by phone number does not tell the endorser which account owns the number:
their history names the new holder as they named them (a username, or the number they
typed, masked), never the account behind a number."""

from __future__ import annotations

from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth, signed_in_pages
from phone_support import last_code

from relaycode.config import Settings

PHONE = "+86 139 1234 5678"


def _history(page: str) -> str:
    start = page.index("data-chain")
    return page[start : page.index("</ol>", start)]


def test_the_endorser_sees_the_number_they_typed_not_the_account(
    client: TestClient, settings: Settings
) -> None:
    world: World = make_world(client)
    assert (
        client.post("/api/v1/me/phone", json={"phone": PHONE}, headers=auth(world.bob)).status_code
        == 200
    )
    code = last_code(settings.data_dir, "+8613912345678")
    r = client.post(
        "/api/v1/me/phone/verify", json={"phone": PHONE, "code": code}, headers=auth(world.bob)
    )
    assert r.status_code == 200, r.text
    tid = world.template(client)
    by_phone, _ = world.credential(client, tid)
    by_name, _ = world.credential(client, tid)
    for cid, to in ((by_phone, "0139 1234 5678"), (by_name, "bob")):
        r = client.post(
            f"/api/v1/credentials/{cid}/endorse", json={"to": to}, headers=auth(world.alice)
        )
        assert r.status_code == 201, r.text
        assert "bob" not in r.text  # the API answer names no holder either
    alice = signed_in_pages(client.app, "alice")
    phone_history = _history(alice.get(f"/me/credentials/{by_phone}").text)
    assert "+86 139****5678" in phone_history and "bob" not in phone_history
    assert "bob" in _history(alice.get(f"/me/credentials/{by_name}").text)

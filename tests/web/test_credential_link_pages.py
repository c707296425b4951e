"""The pages ``/V/`` and ``/P/`` links open (web/credential_link.py): a phone camera's
view of a signed or rotating credential. Verified online, never naming the holder."""

from __future__ import annotations

import re

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth

from relaycode.codes.credential_text import decode_text, rotating_text, signed_text

VERDICT = re.compile(r'data-verdict="(\w+)" data-reason="(\w*)"')


@pytest.fixture
def world(client: TestClient) -> World:
    return make_world(client)


def _link(client: TestClient, world: World, cid: str, form: str) -> str:
    url = f"/api/v1/credentials/{cid}/presentation?form={form}"
    shown = client.get(url, headers=auth(world.alice)).json()["text"]
    raw = decode_text(shown).raw
    made = (
        signed_text(raw, "url", host="X")
        if form == "signed"
        else rotating_text(raw, "url", host="X")
    )
    return "/" + made.split("/", 3)[3]  # /V/<body> or /P/<body>


def _verdict(client: TestClient, path: str) -> tuple[str, str]:
    page = client.get(path)
    found = VERDICT.search(page.text)
    assert found, page.text[:500]
    return found.group(1), found.group(2)


def test_signed_and_rotating_links_open_a_verdict_page(client: TestClient, world: World) -> None:
    tid = world.template(client, forms=["reference", "signed", "rotating"])
    cid, _ = world.credential(client, tid)
    signed, rotating = _link(client, world, cid, "signed"), _link(client, world, cid, "rotating")
    assert signed.startswith("/V/") and rotating.startswith("/P/")
    page = client.get(signed)
    assert page.status_code == 200 and "alice" not in page.text.lower()  # never the holder
    assert _verdict(client, signed) == ("valid", "")
    assert _verdict(client, rotating) == ("valid", "")
    assert _verdict(client, signed.lower()) == ("valid", "")  # a hand-typed link
    body = signed[3:]
    forged = "/V/" + body[:-8] + ("A" if body[-8] != "A" else "B") + body[-7:]
    verdict, reason = _verdict(client, forged)
    assert verdict == "invalid" and reason in ("bad_signature", "malformed")
    assert client.get("/V/" + "A" * 5000).status_code == 422
    r = client.post(f"/api/v1/credentials/{cid}/revoke", headers=auth(world.owner))
    assert r.status_code == 200
    assert _verdict(client, signed) == ("invalid", "revoked")


def test_the_issuers_team_is_sent_to_the_station(client: TestClient, world: World) -> None:
    tid = world.template(client, forms=["reference", "signed"])
    cid, _ = world.credential(client, tid)
    signed = _link(client, world, cid, "signed")
    assert "/station" not in client.get(signed).text
    assert (
        f"/dashboard/m/{world.slug}/station" in client.get(signed, headers=auth(world.teller)).text
    )

"""Template windows at the edges of time: a valid_from past 2106 (beyond the signed
form's 32-bit times: the form says 2106), a valid_until in year 1, naive times in a
PATCH. The form, a 4xx with a code or a refusal; never a 500."""

from __future__ import annotations

import json

import pytest
from credential_support import World, make_world
from credential_support import error_code as _code
from fastapi.testclient import TestClient
from helpers import auth


@pytest.fixture
def world(client: TestClient) -> World:
    return make_world(client)


@pytest.mark.parametrize("valid_from", ["2107-01-01T00:00:00Z", "9999-12-31T00:00:00Z"])
def test_a_start_beyond_the_signed_forms_clock(
    client: TestClient, world: World, valid_from: str
) -> None:
    base = f"/api/v1/merchants/{world.merchant_id}/credential-templates"
    body = {"kind": "ticket", "name": "Far", "forms": ["reference", "signed", "rotating"],
            "valid_from": valid_from}  # fmt: skip
    r = client.post(base, json=body, headers=auth(world.owner))
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    item = client.post(f"/api/v1/credential-templates/{tid}/items", json={"holder": "alice"},
                       headers=auth(world.owner))  # fmt: skip
    assert item.status_code == 201, item.text
    cid = world.claim(client, item.json()["text"])["id"]
    for form in ("signed", "rotating"):
        shown = client.get(
            f"/api/v1/credentials/{cid}/presentation?form={form}", headers=auth(world.alice)
        )
        assert shown.status_code == 200, shown.text[:300]


def test_a_patch_to_the_ends_of_time(client: TestClient, world: World) -> None:
    tid = world.template(client)
    url = f"/api/v1/credential-templates/{tid}"
    for patch in ({"valid_from": "2030-01-01T00:00:00"}, {"valid_until": "2030-01-01T00:00:00"},
                                    {"valid_days": 10**9}, {"name": "\ud800"}):  # fmt: skip
        body = json.dumps(patch)  # ASCII escapes: a lone surrogate goes as \\ud800
        kind = {"Content-Type": "application/json"}
        r = client.patch(url, content=body, headers={**auth(world.owner), **kind})
        assert _code(r) in ("invalid_input", "invalid_template"), patch
    # A window that ended long ago is the issuer's to set: its items are simply expired.
    ended = client.patch(url, json={"valid_until": "0001-01-01T00:00:00Z"},
                         headers=auth(world.owner))  # fmt: skip
    assert ended.status_code == 200, ended.text[:300]
    item = client.post(f"{url}/items", json={"holder": "alice", "fields": {"amount": 1,
                       "drawer": "x"}}, headers=auth(world.owner))  # fmt: skip
    assert item.status_code == 201, item.text[:300]
    claimed = client.post("/api/v1/claims", json={"text": item.json()["text"]},
                          headers=auth(world.alice))  # fmt: skip
    assert claimed.status_code == 201 and claimed.json()["status"] == "expired"

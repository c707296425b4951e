"""A signed form is readable by anyone who sees its QR (signed, not encrypted). Its 8-byte
holder id must not let two merchants (or a bystander with two photos) tell that a
receipt of one and a ticket of another belong to the same person: it is derived per
issuing merchant, stable within it."""

from __future__ import annotations

from typing import Any

from credential_support import make_world
from fastapi.testclient import TestClient
from helpers import auth

from relaycode.credentials.offline_forms import read_presented


def _holder(app: Any, text: str) -> bytes:
    rc = app.state.rc
    holder: bytes = read_presented(rc.settings, rc.keyring, text).claims.holder
    return holder


def _signed(client: TestClient, token: str, cid: str) -> str:
    r = client.get(f"/api/v1/credentials/{cid}/presentation?form=signed", headers=auth(token))
    assert r.status_code == 200, r.text
    text: str = r.json()["text"]
    return text


def test_the_holder_id_differs_between_merchants(client: TestClient, app: Any) -> None:
    bank = make_world(client)
    tid = bank.template(client)
    one, _ = bank.credential(client, tid)
    two, _ = bank.credential(client, tid)
    r = client.post("/api/v1/merchants", json={"slug": "hall", "name": "Hall"},
                    headers=auth(bank.bob))  # fmt: skip
    assert r.status_code == 201, r.text
    hall = type(bank)(bank.bob, bank.bob, bank.alice, bank.owner, r.json()["id"], "hall")
    other, _ = hall.credential(client, hall.template(client))
    first, second = (_holder(app, _signed(client, bank.alice, c)) for c in (one, two))
    elsewhere = _holder(app, _signed(client, bank.alice, other))
    assert first == second  # one merchant: one pseudonym (it knows the holder anyway)
    assert elsewhere != first
    assert len(elsewhere) == 8

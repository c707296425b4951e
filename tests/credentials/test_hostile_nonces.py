"""A verifier's nonce names one redemption. A retry with the same nonce is answered the
first result; the same nonce with another amount is a client bug, refused 422
``nonce_reused``, never a 201 for an amount that was not taken off the balance. (Copies
of one nonce naming different credentials answer the first result: docs/credentials.md
says so, tests/credentials/test_credential_races.py checks it.)"""

from __future__ import annotations

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth


@pytest.fixture
def world(client: TestClient) -> World:
    return make_world(client)


def _balance(client: TestClient, world: World) -> tuple[str, str]:
    tid = world.template(client, use_mode="balance", currency="CNY")
    return world.credential(client, tid)


def _left(client: TestClient, world: World, cid: str) -> int | None:
    r = client.get(f"/api/v1/credentials/{cid}", headers=auth(world.owner))
    left: int | None = r.json()["balance_minor"]
    return left


def test_same_nonce_other_amount_is_refused_not_replayed(client: TestClient, world: World) -> None:
    cid, text = _balance(client, world)
    first = world.redeem(client, text, "n-1", amount=100)
    assert first.status_code == 201 and first.json()["amount_minor"] == 100
    again = world.redeem(client, text, "n-1", amount=100)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    other = world.redeem(client, text, "n-1", amount=40_000)
    assert other.status_code == 422, other.text
    assert other.json()["error"]["code"] == "nonce_reused"
    assert other.headers.get("Idempotent-Replayed") is None
    assert _left(client, world, cid) == 50_000 - 100


def test_same_nonce_after_a_refusal_with_another_amount(client: TestClient, world: World) -> None:
    cid, text = _balance(client, world)
    short = world.redeem(client, text, "n-2", amount=60_000)
    assert short.status_code == 409 and short.json()["error"]["code"] == "insufficient_balance"
    retry = world.redeem(client, text, "n-2", amount=500)
    assert retry.status_code == 422 and retry.json()["error"]["code"] == "nonce_reused"
    fresh = world.redeem(client, text, "n-3", amount=500)
    assert fresh.status_code == 201 and _left(client, world, cid) == 50_000 - 500

"""The wallet API: my balances and history, and the operator's grant (one posting)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, register
from live import bearer, clients, close_all, live_app, outcome, race
from sqlalchemy import update

from relaycode.config import Settings
from relaycode.db.session import Database
from relaycode.models import LedgerTransaction, User
from relaycode.payments.ledger_check import check

GRANTS = "/api/v1/admin/wallet-grants"


def _operator(db: Database, client: Any, username: str = "root") -> str:
    token = register(client, username)
    with db.transaction() as s:
        s.execute(update(User).where(User.username == username).values(is_operator=True))
    return token


def _wallet(client: Any, token: str) -> dict[str, int]:
    r = client.get("/api/v1/me/wallet", headers=auth(token))
    assert r.status_code == 200, r.text
    return {b["currency"]: b["balance_minor"] for b in r.json()["balances"]}


def test_a_new_wallet_is_empty(client: TestClient) -> None:
    token = register(client, "bob")
    assert client.get("/api/v1/me/wallet", headers=auth(token)).json() == {"balances": []}
    r = client.get("/api/v1/me/wallet/entries", headers=auth(token))
    assert r.json() == {"items": [], "next_cursor": None}


def test_grants_show_in_balances_and_history(client: TestClient, app: Any) -> None:
    root = _operator(app.state.rc.db, client)
    bob = register(client, "bob")
    for amount, currency in ((5000, "CNY"), (300, "jpy"), (250, "CNY")):
        r = client.post(
            GRANTS,
            json={
                "username": "Bob",
                "amount_minor": amount,
                "currency": currency,
                "memo": "welcome",
            },
            headers=auth(root),
        )
        assert r.status_code == 201, r.text
    assert r.json() == {
        "transaction_id": 3,
        "username": "bob",
        "currency": "CNY",
        "amount_minor": 250,
        "balance_minor": 5250,
    }
    assert _wallet(client, bob) == {"CNY": 5250, "JPY": 300}
    assert _wallet(client, root) == {}  # the operator's own wallet is untouched
    r = client.get("/api/v1/me/wallet/entries?limit=2", headers=auth(bob))
    page = r.json()
    moves = [(e["currency"], e["amount_minor"], e["balance_after_minor"]) for e in page["items"]]
    assert moves == [
        ("CNY", 250, 5250),
        ("JPY", 300, 300),
    ]
    first = page["items"][0]
    assert first["kind"] == "grant" and first["memo"] == "welcome"
    assert first["reference_type"] == "operator" and first["created_at"]
    rest = client.get(
        "/api/v1/me/wallet/entries", params={"cursor": page["next_cursor"]}, headers=auth(bob)
    ).json()
    assert [e["amount_minor"] for e in rest["items"]] == [5000] and rest["next_cursor"] is None
    only_jpy = client.get("/api/v1/me/wallet/entries?currency=jpy", headers=auth(bob)).json()
    assert [e["currency"] for e in only_jpy["items"]] == ["JPY"]
    bad = client.get("/api/v1/me/wallet/entries?cursor=nonsense", headers=auth(bob))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_cursor"


def test_only_operators_grant(client: TestClient) -> None:
    bob = register(client, "bob")
    body = {"username": "bob", "amount_minor": 100, "currency": "CNY"}
    r = client.post(GRANTS, json=body, headers=auth(bob))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_operator"
    assert client.post(GRANTS, json=body).status_code == 401
    assert _wallet(client, bob) == {}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "nobody", "amount_minor": 1, "currency": "CNY"}, 404, "user_not_found"),
        ({"username": "bob", "amount_minor": 1, "currency": "XYZ"}, 422, "unknown_currency"),
        ({"username": "bob", "amount_minor": 0, "currency": "CNY"}, 422, "invalid_input"),
        ({"username": "bob", "amount_minor": -5, "currency": "CNY"}, 422, "invalid_input"),
        ({"username": "bob", "amount_minor": 10**13, "currency": "CNY"}, 422, "invalid_input"),
        ({"username": "bob", "amount_minor": 1.5, "currency": "CNY"}, 422, "invalid_input"),
        ({"username": "bob", "amount_minor": 1, "currency": "CN"}, 422, "invalid_input"),
        ({"username": "bob\x00", "amount_minor": 1, "currency": "CNY"}, 422, "invalid_input"),
    ],
)
def test_bad_grants_are_4xx(
    client: TestClient, app: Any, body: dict[str, Any], status: int, code: str
) -> None:
    root = _operator(app.state.rc.db, client)
    bob = register(client, "bob")
    r = client.post(GRANTS, json=body, headers=auth(root))
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert _wallet(client, bob) == {}


def test_a_retried_grant_with_its_key_grants_once(client: TestClient, app: Any) -> None:
    root = _operator(app.state.rc.db, client)
    bob = register(client, "bob")
    body = {"username": "bob", "amount_minor": 700, "currency": "CNY"}
    key = {"Idempotency-Key": "ticket-42", **auth(root)}
    first = client.post(GRANTS, json=body, headers=key)
    again = client.post(GRANTS, json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert _wallet(client, bob) == {"CNY": 700}
    other = client.post(GRANTS, json={**body, "amount_minor": 800}, headers=key)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    # Another operator's key of the same text is their own.
    root2 = _operator(app.state.rc.db, client, "root2")
    r = client.post(GRANTS, json=body, headers={"Idempotency-Key": "ticket-42", **auth(root2)})
    assert r.status_code == 201 and r.json()["balance_minor"] == 1400
    bad_key = client.post(GRANTS, json=body, headers={"Idempotency-Key": "x" * 81, **auth(root)})
    assert bad_key.status_code == 422


def test_concurrent_grants_with_one_key_grant_once(settings: Settings) -> None:
    """30 simultaneous retries of one grant through a live server: one posting."""
    n = 30
    with live_app(settings) as (url, app):
        (setup,) = clients(url, 1)
        root = _operator(app.state.rc.db, setup)
        bob = register(setup, "bob")
        cs = clients(url, n)
        body = {"username": "bob", "amount_minor": 900, "currency": "CNY"}
        headers = {"Idempotency-Key": "race-1", **bearer(root)}
        try:
            answers = race(n, lambda i: cs[i].post(GRANTS, json=body, headers=headers))
            assert Counter(outcome(r) for r in answers) == {(201, None): n}
            assert len({r.json()["transaction_id"] for r in answers}) == 1
            assert _wallet(setup, bob) == {"CNY": 900}
        finally:
            close_all([*cs, setup])
        with app.state.rc.db.read_transaction() as s:
            assert s.query(LedgerTransaction).count() == 1
            assert check(s).ok

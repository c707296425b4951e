"""My commissions, my withdrawals, and the operators' payout queue, through the API."""

from __future__ import annotations

import csv
import io
from typing import Any

from commission_support import (
    adopt,
    balance,
    earned_available,
    ledger_ok,
    make_operator,
    make_shop,
    pay_order,
    rules,
)
from fastapi.testclient import TestClient
from helpers import auth, register

from relaycode.db.session import Database


def _db(client: TestClient) -> Database:
    db: Database = client.app.state.rc.db  # type: ignore[attr-defined]
    return db


def _withdraw(
    client: TestClient, token: str, amount: int, key: str, details: str = "alipay 1380000"
) -> Any:
    body = {"amount": amount, "currency": "CNY", "payout_details": details}
    return client.post(
        "/api/v1/me/withdrawals", json=body, headers={**auth(token), "Idempotency-Key": key}
    )


def _setup(client: TestClient) -> tuple[str, str, Any]:
    alice, op = register(client, "alice"), register(client, "operator")
    db = _db(client)
    shop = make_shop(db, rules(1000, hold_days=0), people=("buyer", "bob"))
    adopt(db, shop, "alice")
    make_operator(db, "operator")
    return alice, op, shop


def test_my_commissions_list(client: TestClient) -> None:
    alice, _op, shop = _setup(client)
    db = _db(client)
    with db.transaction() as s:
        first = pay_order(s, shop, "buyer", ["alice"], 10_000)
        pay_order(s, shop, "buyer", ["bob", "alice"], 5_000)  # alice at level 2: too deep
        pay_order(s, shop, "buyer", ["alice"], 2_000, device_of="buyer")
        blocked = pay_order(s, shop, "alice", ["alice"], 3_000)
        first_id, blocked_id = first.id, blocked.id
    r = client.get("/api/v1/me/commissions", headers=auth(alice))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["order_id"], i["amount"], i["status"]) for i in items] == [
        (blocked_id, 0, "blocked"),
        (blocked_id - 1, 200, "pending"),
        (first_id + 1, 0, "blocked"),
        (first_id, 1000, "pending"),
    ]
    assert items[2]["blocked_reason"] == "beyond_max_depth"
    one = items[-1]
    assert set(one) >= {
        "id", "amount", "currency", "status", "order_id", "level", "offer_id", "code_id",
        "created_at", "available_at", "blocked_reason",
    }  # fmt: skip
    assert one["offer_id"] == shop.offer_id and one["level"] == 1 and one["currency"] == "CNY"
    assert items[0]["blocked_reason"] == "self_referral"
    page = client.get("/api/v1/me/commissions?limit=3", headers=auth(alice)).json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = client.get(
        f"/api/v1/me/commissions?limit=3&cursor={page['next_cursor']}", headers=auth(alice)
    ).json()
    assert [i["order_id"] for i in rest["items"]] == [first_id] and rest["next_cursor"] is None
    only = client.get("/api/v1/me/commissions?status=blocked", headers=auth(alice)).json()
    assert [i["order_id"] for i in only["items"]] == [blocked_id, first_id + 1]
    assert client.get("/api/v1/me/commissions?status=nope", headers=auth(alice)).status_code == 422
    bad = client.get("/api/v1/me/commissions?cursor=xyz", headers=auth(alice))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_cursor"
    bob = register(client, "bobby")
    assert client.get("/api/v1/me/commissions", headers=auth(bob)).json()["items"] == []


def test_withdraw_what_is_available_once(client: TestClient) -> None:
    alice, _op, shop = _setup(client)
    db = _db(client)
    earned_available(db, shop, "alice", 10_000)
    r = _withdraw(client, alice, 600, "w-1")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["amount"], body["status"], body["payout_details"]) == (
        600,
        "requested",
        "alipay 1380000",
    )
    again = _withdraw(client, alice, 600, "w-1")
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    other = _withdraw(client, alice, 601, "w-1")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    over = _withdraw(client, alice, 401, "w-2")
    assert over.status_code == 409 and over.json()["error"]["code"] == "insufficient_funds"
    none = client.post(
        "/api/v1/me/withdrawals",
        json={"amount": 1, "currency": "CNY", "payout_details": "x"},
        headers=auth(alice),
    )
    assert none.status_code == 422
    assert _withdraw(client, alice, 0, "w-3").status_code == 422
    assert _withdraw(client, alice, 1, "w-4", details="a\nb").status_code == 422
    unknown = client.post(
        "/api/v1/me/withdrawals",
        json={"amount": 1, "currency": "XYZ", "payout_details": "x"},
        headers={**auth(alice), "Idempotency-Key": "w-5"},
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_currency"
    mine = client.get("/api/v1/me/withdrawals", headers=auth(alice)).json()["items"]
    assert [w["id"] for w in mine] == [body["id"]]
    balances = client.get("/api/v1/me/commission-balances", headers=auth(alice)).json()
    assert balances == {
        "balances": [
            {"currency": "CNY", "pending": 0, "available": 400, "withdrawing": 600, "owed": 0}
        ]
    }
    ledger_ok(db)


def test_operators_approve_and_reject(client: TestClient) -> None:
    alice, op, shop = _setup(client)
    db = _db(client)
    earned_available(db, shop, "alice", 10_000)
    w1 = _withdraw(client, alice, 300, "a").json()["id"]
    w2 = _withdraw(client, alice, 200, "b").json()["id"]
    refused = client.get("/api/v1/admin/withdrawals", headers=auth(alice))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_operator"
    assert (
        client.post(f"/api/v1/admin/withdrawals/{w1}/approve", headers=auth(alice)).status_code
        == 403
    )
    queue = client.get("/api/v1/admin/withdrawals?status=requested", headers=auth(op)).json()
    assert [(w["id"], w["username"]) for w in queue["items"]] == [(w1, "alice"), (w2, "alice")]
    ok = client.post(
        f"/api/v1/admin/withdrawals/{w1}/approve", json={"note": "paid 1 May"}, headers=auth(op)
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved", ok.text
    assert ok.json()["note"] == "paid 1 May"
    again = client.post(f"/api/v1/admin/withdrawals/{w1}/approve", headers=auth(op))
    assert again.status_code == 200 and again.json()["status"] == "approved"
    clash = client.post(f"/api/v1/admin/withdrawals/{w1}/reject", headers=auth(op))
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "withdrawal_decided"
    no = client.post(f"/api/v1/admin/withdrawals/{w2}/reject", headers=auth(op))
    assert no.status_code == 200 and no.json()["status"] == "rejected"
    for wid in (999_999, 2**70):
        r = client.post(f"/api/v1/admin/withdrawals/{wid}/approve", headers=auth(op))
        assert r.status_code in (404, 422), r.text
    assert (
        client.post("/api/v1/admin/withdrawals/999999/approve", headers=auth(op)).json()["error"][
            "code"
        ]
        == "withdrawal_not_found"
    )
    left = client.get("/api/v1/admin/withdrawals?status=requested", headers=auth(op)).json()
    assert left["items"] == []
    with db.transaction() as s:
        uid = shop.users["alice"]
        assert balance(s, "commissions_available", user_id=uid) == 700
        assert balance(s, "withdrawals_pending", user_id=uid) == 0
        assert balance(s, "payouts") == 300
    kinds = [i["kind"] for i in client.get("/api/v1/me/inbox", headers=auth(alice)).json()["items"]]
    assert "withdrawal_approved" in kinds and "withdrawal_rejected" in kinds
    ledger_ok(db)


def test_csv_export_is_safe_from_formulas(client: TestClient) -> None:
    alice, op, shop = _setup(client)
    db = _db(client)
    earned_available(db, shop, "alice", 10_000)
    hostile = ['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "iban DE89 3704"]
    for i, details in enumerate(hostile):
        assert _withdraw(client, alice, 10, f"k{i}", details=details).status_code == 201
    assert client.get("/api/v1/admin/withdrawals.csv", headers=auth(alice)).status_code == 403
    r = client.get("/api/v1/admin/withdrawals.csv?status=requested", headers=auth(op))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["payout_details"] for row in table] == [
        "'=HYPERLINK(\"http://evil\")", "'+1+1", "'-2", "'@SUM(A1)", "iban DE89 3704",
    ]  # fmt: skip
    assert {row["username"] for row in table} == {"alice"}
    assert {row["amount_minor"] for row in table} == {"10"}
    empty = client.get("/api/v1/admin/withdrawals.csv?status=approved", headers=auth(op))
    assert empty.text.strip().split(",")[0] == "id" and len(empty.text.strip().splitlines()) == 1

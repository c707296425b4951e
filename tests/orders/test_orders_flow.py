"""An order's life through the API: shares and attribution, commissions, fulfil,
cancel, refunds (full, partial, double clicks), lists, CSV and notifications."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, register
from order_support import (
    ORDERS,
    balance,
    error,
    fund,
    ledger_ok,
    order,
    rules,
    share,
    shop,
)
from sqlalchemy import select

from relaycode.models import Commission, InboxItem, WebhookDelivery


def _commissions(app: Any, order_id: int) -> list[tuple[int, int, str, int]]:
    with app.state.rc.db.read_transaction() as db:
        rows = db.scalars(select(Commission).where(Commission.order_id == order_id))
        return sorted((c.level, c.amount_minor, c.status, c.reversed_minor) for c in rows)


def test_an_order_through_a_share_records_its_chain_and_commission(
    client: TestClient, app: Any
) -> None:
    s = shop(client)
    rules(client, s, levels=[{"percent_bp": 1000}, {"percent_bp": 500}], max_depth=2)
    alice, carol, bob = (register(client, n) for n in ("alice", "carol", "bob"))
    a_code = share(client, alice, s.code)
    c_code = share(client, carol, a_code)
    fund(app.state.rc.db, "bob", 10_000)
    r = order(client, bob, c_code, "k1", quantity=4)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["amount"] == 5000 and body["status"] == "paid"
    chain = [e["user_id"] for e in body["referrer_chain"]]
    ids = {
        n: client.get("/api/v1/me", headers=auth(t)).json()["id"]
        for n, t in (("alice", alice), ("carol", carol))
    }
    assert chain == [ids["carol"], ids["alice"]]
    assert body["attributed_code_id"] == body["code_id"]
    assert _commissions(app, body["id"]) == [(1, 500, "pending", 0), (2, 250, "pending", 0)]
    ledger_ok(app.state.rc.db)


def test_a_direct_order_credits_nobody(client: TestClient, app: Any) -> None:
    s = shop(client)
    rules(client, s)
    bob = register(client, "bob")
    fund(app.state.rc.db, "bob", 5000)
    body = order(client, bob, s.code, "k").json()
    assert body["referrer_chain"] == [] and body["attributed_code_id"] is None
    assert _commissions(app, body["id"]) == []


def test_refunds_full_partial_and_double_clicks(client: TestClient, app: Any) -> None:
    db = app.state.rc.db
    s = shop(client)
    rules(client, s)
    alice, bob = register(client, "alice"), register(client, "bob")
    a_code = share(client, alice, s.code)
    fund(db, "bob", 10_000)
    placed = order(client, bob, a_code, "k", quantity=4).json()  # 5000, commission 500
    oid = placed["id"]
    refund = f"{ORDERS}/{oid}/refund"
    assert client.post(refund, json={"amount": 1000}, headers=auth(bob)).status_code == 403
    r = client.post(refund, json={"amount": 1000}, headers=auth(s.owner))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "partially_refunded" and r.json()["amount_refunded"] == 1000
    again = client.post(refund, json={"amount": 1000}, headers=auth(s.owner))  # double click
    assert again.json()["amount_refunded"] == 1000 and len(again.json()["refunds"]) == 1
    assert balance(db, "bob") == 6000
    assert _commissions(app, oid) == [(1, 500, "pending", 100)]
    keyed = {**auth(s.owner), "Idempotency-Key": "second"}
    r = client.post(refund, json={"amount": 1000}, headers=keyed)
    assert r.json()["amount_refunded"] == 2000
    reused = client.post(refund, json={"amount": 5}, headers=keyed)
    assert reused.status_code == 422 and error(reused) == "idempotency_key_reused"
    too_much = client.post(refund, json={"amount": 3001}, headers=auth(s.owner))
    assert too_much.status_code == 409 and error(too_much) == "refund_exceeds_order"
    assert too_much.json()["error"]["details"] == {"refundable": 3000}
    rest = client.post(refund, headers=auth(s.owner))
    assert rest.status_code == 200 and rest.json()["status"] == "refunded"
    assert balance(db, "bob") == 10_000
    assert _commissions(app, oid) == [(1, 500, "reversed", 500)]
    done = client.post(refund, json={"amount": 7}, headers=auth(s.owner))
    assert done.status_code == 409 and error(done) == "not_refundable"
    ledger_ok(db)
    # The buyer heard of each refund once (three refunds; the double click made none).
    with db.read_transaction() as session:
        told = session.scalars(select(InboxItem).where(InboxItem.kind == "order_refunded"))
        amounts = sorted(item.data["amount_minor"] for item in told)
    assert amounts == [1000, 1000, 3000]


def test_fulfil_and_cancel(client: TestClient, app: Any) -> None:
    s = shop(client)
    bob = register(client, "bob")
    fund(app.state.rc.db, "bob", 5000)
    oid = order(client, bob, s.code, "k").json()["id"]
    assert client.post(f"{ORDERS}/{oid}/fulfil", headers=auth(bob)).status_code == 403
    r = client.post(f"{ORDERS}/{oid}/fulfil", headers=auth(s.owner))
    assert r.status_code == 200 and r.json()["status"] == "fulfilled" and r.json()["fulfilled_at"]
    assert client.post(f"{ORDERS}/{oid}/fulfil", headers=auth(s.owner)).status_code == 200
    r = client.post(f"{ORDERS}/{oid}/cancel", headers=auth(bob))
    assert r.status_code == 409 and error(r) == "not_cancellable"
    r = client.post(f"{ORDERS}/{oid}/refund", headers=auth(s.owner))
    assert r.json()["status"] == "refunded"
    r = client.post(f"{ORDERS}/{oid}/fulfil", headers=auth(s.owner))
    assert r.status_code == 409 and error(r) == "not_fulfillable"


def test_who_sees_an_order(client: TestClient, app: Any) -> None:
    s = shop(client)
    bob, eve = register(client, "bob"), register(client, "eve")
    fund(app.state.rc.db, "bob", 5000)
    oid = order(client, bob, s.code, "k").json()["id"]
    assert client.get(f"{ORDERS}/{oid}", headers=auth(s.owner)).status_code == 200
    assert client.get(f"{ORDERS}/{oid}").status_code == 401
    for path in (f"{ORDERS}/{oid}", f"{ORDERS}/999999", f"{ORDERS}/0"):
        r = client.get(path, headers=auth(eve))
        assert r.status_code in (404, 422), path
    assert error(client.get(f"{ORDERS}/{oid}", headers=auth(eve))) == "order_not_found"
    r = client.get(f"/api/v1/merchants/{s.merchant_id}/orders", headers=auth(eve))
    assert r.status_code == 403


def test_lists_pages_and_csv(client: TestClient, app: Any) -> None:
    s = shop(client, title="=cmd|' /C calc'!A0")
    bob = register(client, "bob")
    fund(app.state.rc.db, "bob", 50_000)
    ids = [order(client, bob, s.code, f"k{i}").json()["id"] for i in range(5)]
    mine = client.get("/api/v1/me/orders?limit=2", headers=auth(bob)).json()
    assert [o["id"] for o in mine["items"]] == ids[::-1][:2] and mine["next_cursor"]
    rest = client.get(
        "/api/v1/me/orders", params={"cursor": mine["next_cursor"]}, headers=auth(bob)
    ).json()
    assert [o["id"] for o in rest["items"]] == ids[::-1][2:] and rest["next_cursor"] is None
    theirs = client.get(f"/api/v1/merchants/{s.merchant_id}/orders", headers=auth(s.owner))
    assert [o["id"] for o in theirs.json()["items"]] == ids[::-1]
    paid = client.get(
        f"/api/v1/merchants/{s.merchant_id}/orders?status=paid", headers=auth(s.owner)
    )
    assert len(paid.json()["items"]) == 5
    bad = client.get("/api/v1/me/orders?status=lost", headers=auth(bob))
    assert bad.status_code == 422 and error(bad) == "bad_status"
    assert client.get("/api/v1/me/orders?cursor=zzz", headers=auth(bob)).status_code == 400
    r = client.get(f"/api/v1/merchants/{s.merchant_id}/orders.csv", headers=auth(s.owner))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][0] == "id" and len(rows) == 6
    assert rows[1][4].startswith("'=")  # no formula reaches a spreadsheet


def test_notifications_and_webhooks(client: TestClient, app: Any) -> None:
    s = shop(client)
    hook = client.post(
        f"/api/v1/merchants/{s.merchant_id}/webhooks",
        json={
            "url": "https://hooks.example.com/in",
            "events": [
                "order.created",
                "order.paid",
                "order.fulfilled",
                "order.refunded",
                "order.cancelled",
            ],
        },
        headers=auth(s.owner),
    )
    assert hook.status_code == 201, hook.text
    bob = register(client, "bob")
    fund(app.state.rc.db, "bob", 5000)
    oid = order(client, bob, s.code, "k").json()["id"]
    order(client, bob, s.code, "k")  # the retry tells nobody again
    client.post(f"{ORDERS}/{oid}/fulfil", headers=auth(s.owner))
    client.post(f"{ORDERS}/{oid}/refund", json={"amount": 100}, headers=auth(s.owner))
    with app.state.rc.db.read_transaction() as db:
        kinds = sorted(i.kind for i in db.scalars(select(InboxItem)))
        events = sorted(d.event_type for d in db.scalars(select(WebhookDelivery)))
    assert kinds == ["order_new", "order_refunded", "payment_succeeded"]
    assert events == ["order.created", "order.fulfilled", "order.paid", "order.refunded"]


def test_insufficient_funds_leaves_no_order_and_a_retry_after_a_top_up_pays(
    client: TestClient, app: Any
) -> None:
    s = shop(client)
    bob = register(client, "bob")
    fund(app.state.rc.db, "bob", 1000)
    r = order(client, bob, s.code, "k")
    assert r.status_code == 409 and error(r) == "insufficient_funds"
    assert client.get("/api/v1/me/orders", headers=auth(bob)).json()["items"] == []
    fund(app.state.rc.db, "bob", 1000)
    r = order(client, bob, s.code, "k")
    assert r.status_code == 201 and r.json()["status"] == "paid"
    assert balance(app.state.rc.db, "bob") == 750
    ledger_ok(app.state.rc.db)


def test_cancel_a_pending_card_order_is_refused_without_stripe(
    client: TestClient, app: Any
) -> None:
    s = shop(client)
    bob = register(client, "bob")
    r = order(client, bob, s.code, "k", method="card")  # Stripe is not configured here
    assert r.status_code == 422 and error(r) == "payment_method_unavailable"

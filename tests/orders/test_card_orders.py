"""Card orders through Stripe (localstripe): pending until Stripe's webhook pays them,
a replayed webhook changes nothing, refunds go back through Stripe, failures reach
the buyer, and a pending card order can be cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from helpers import auth, register
from live import live_app
from order_support import ORDERS, ledger_ok, order, rules, share, shop
from payment_helpers import WEBHOOK, event, intent, secret, signed, wait_for
from sqlalchemy import func, select
from stripe_server import LocalStripe

from relaycode.app import create_app
from relaycode.config import Settings
from relaycode.models import Commission, InboxItem, LedgerTransaction, Order, PaymentAttempt


@pytest.fixture
def stripe_app(stripe_settings: Settings) -> Iterator[Any]:
    application = create_app(stripe_settings)
    yield application
    application.state.rc.db.dispose()


@pytest.fixture
def client(stripe_app: Any) -> Iterator[TestClient]:
    with TestClient(stripe_app, raise_server_exceptions=False) as c:
        yield c


def _snapshot(app: Any) -> tuple[Any, ...]:
    with app.state.rc.db.read_transaction() as db:
        orders = [(o.id, o.status, o.updated_at) for o in db.scalars(select(Order))]
        txns = db.scalar(select(func.count()).select_from(LedgerTransaction))
        inbox = db.scalar(select(func.count()).select_from(InboxItem))
        commissions = db.scalar(select(func.count()).select_from(Commission))
    return orders, txns, inbox, commissions


def _webhook(client: TestClient, app: Any, event_id: str, kind: str, obj: dict[str, Any]) -> Any:
    body = event(event_id, kind, obj)
    return client.post(WEBHOOK, content=body, headers=signed(body, secret(app)))


def test_a_card_order_is_paid_by_the_webhook_once(
    client: TestClient, stripe_app: Any, localstripe: LocalStripe
) -> None:
    s = shop(client, payment_methods=["card"])
    rules(client, s)
    alice, bob = register(client, "alice"), register(client, "bob")
    code = share(client, alice, s.code)
    r = order(client, bob, code, "k", method="card", quantity=2)
    assert r.status_code == 201, r.text
    placed = r.json()
    assert placed["status"] == "pending" and placed["payment"]["provider"] == "stripe"
    action = placed["payment"]["action"]
    assert action["kind"] == "client_secret" and action["value"] and action["publishable_key"]
    again = order(client, bob, code, "k", method="card", quantity=2)
    assert again.status_code == 200 and again.json()["id"] == placed["id"]
    assert again.json()["payment"]["action"]["kind"] == "client_secret"
    attempt_id = placed["payment"]["attempt_id"]
    with stripe_app.state.rc.db.read_transaction() as db:
        pi = db.get(Order, placed["id"]).payment_attempt_id
        ref = db.get(PaymentAttempt, pi).provider_ref
    assert localstripe.pay(ref).status == "succeeded"  # no live server: its webhook is lost
    obj = intent(ref, attempt_id, 2500)
    first = _webhook(client, stripe_app, "evt_paid", "payment_intent.succeeded", obj)
    assert first.status_code == 200 and first.json()["outcome"] == "applied", first.text
    paid = client.get(f"{ORDERS}/{placed['id']}", headers=auth(bob)).json()
    assert paid["status"] == "paid" and paid["payment"]["status"] == "succeeded"
    before = _snapshot(stripe_app)
    replay = _webhook(client, stripe_app, "evt_paid", "payment_intent.succeeded", obj)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    late = _webhook(client, stripe_app, "evt_paid_2", "payment_intent.succeeded", obj)
    assert late.status_code == 200  # another event with the same news: stale
    assert _snapshot(stripe_app) == before
    with stripe_app.state.rc.db.read_transaction() as db:
        levels = [(c.level, c.amount_minor) for c in db.scalars(select(Commission))]
    assert levels == [(1, 250)]
    ledger_ok(stripe_app.state.rc.db)
    # Refund through Stripe: part, then the rest.
    r = client.post(f"{ORDERS}/{placed['id']}/refund", json={"amount": 500}, headers=auth(s.owner))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "partially_refunded"
    r = client.post(f"{ORDERS}/{placed['id']}/refund", headers=auth(s.owner))
    assert r.json()["status"] == "refunded" and r.json()["amount_refunded"] == 2500
    assert r.json()["payment"]["status"] == "refunded"
    ledger_ok(stripe_app.state.rc.db)


def test_a_failed_card_payment_tells_the_buyer_and_the_order_waits(
    client: TestClient, stripe_app: Any
) -> None:
    s = shop(client, payment_methods=["card"])
    bob = register(client, "bob")
    placed = order(client, bob, s.code, "k", method="card").json()
    with stripe_app.state.rc.db.read_transaction() as db:
        ref = db.get(PaymentAttempt, placed["payment"]["attempt_id"]).provider_ref
    failed = intent(
        ref,
        placed["payment"]["attempt_id"],
        1250,
        status="requires_payment_method",
        last_payment_error={"code": "card_declined"},
    )
    r = _webhook(client, stripe_app, "evt_fail", "payment_intent.payment_failed", failed)
    assert r.status_code == 200, r.text
    got = client.get(f"{ORDERS}/{placed['id']}", headers=auth(bob)).json()
    assert got["status"] == "pending" and got["payment"]["failure_code"] == "card_declined"
    inbox = client.get("/api/v1/me/inbox", headers=auth(bob)).json()
    assert [i["kind"] for i in inbox["items"]] == ["payment_failed"]
    # The buyer gives up: cancelling cancels the PaymentIntent too.
    r = client.post(f"{ORDERS}/{placed['id']}/cancel", headers=auth(bob))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["payment"]["status"] == "canceled"
    assert client.post(f"{ORDERS}/{placed['id']}/cancel", headers=auth(bob)).status_code == 200
    r = client.post(f"{ORDERS}/{placed['id']}/refund", headers=auth(s.owner))
    assert r.status_code == 409


def test_a_card_order_round_trips_through_localstripe(
    stripe_settings: Settings, localstripe: LocalStripe
) -> None:
    with live_app(stripe_settings) as (url, app):
        localstripe.deliver_webhooks_to(url + WEBHOOK, secret(app))
        with httpx.Client(base_url=url, timeout=30) as c:
            s = shop(c, payment_methods=["card"])
            bob = register(c, "bob")
            placed = order(c, bob, s.code, "k", method="card").json()
            with app.state.rc.db.read_transaction() as db:
                ref = db.get(PaymentAttempt, placed["payment"]["attempt_id"]).provider_ref
            assert localstripe.pay(ref).status == "succeeded"

            def paid() -> bool:
                r = c.get(f"{ORDERS}/{placed['id']}", headers=auth(bob))
                return bool(r.json()["status"] == "paid")

            wait_for(paid)
        ledger_ok(app.state.rc.db)

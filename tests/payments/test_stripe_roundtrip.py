"""Real round trips through localstripe: a PaymentIntent paid by card, localstripe's own
signed webhook to a live server, refunds, and polling that agrees with the webhook."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from fastapi.testclient import TestClient
from live import live_app
from payment_helpers import (
    WEBHOOK,
    attempt,
    charge,
    event,
    provider,
    secret,
    signed,
    start,
    told,
    wait_for,
)
from sqlalchemy import select
from stripe_server import LocalStripe

from relaycode.app import create_app
from relaycode.config import Settings
from relaycode.errors import AppError
from relaycode.models import PaymentRefund, ProviderEvent
from relaycode.payments.attempts import refund_payment, start_payment, sync_attempt


def _stored(app: Any, attempt_id: str) -> list[tuple[str, str | None]]:
    with app.state.rc.db.read_transaction() as db:
        rows = db.scalars(select(ProviderEvent).where(ProviderEvent.attempt_id == attempt_id))
        return sorted((r.event_type, r.outcome) for r in rows)


def test_a_card_payment_round_trips_through_localstripe(
    stripe_settings: Settings, localstripe: LocalStripe
) -> None:
    with live_app(stripe_settings) as (url, app):
        localstripe.deliver_webhooks_to(url + WEBHOOK, secret(app))
        with told() as seen:
            attempt_id = start(app, "order-7", amount=1250, currency="CNY")
            made = attempt(app, attempt_id)
            assert made.provider_ref and made.provider_ref.startswith("pi_")
            intent = localstripe.client().v1.payment_intents.retrieve(made.provider_ref)
            assert intent.metadata["relaycode_attempt"] == attempt_id
            assert (intent.amount, intent.currency) == (1250, "cny")
            assert localstripe.pay(made.provider_ref).status == "succeeded"
            wait_for(lambda: attempt(app, attempt_id).status == "succeeded")
        assert seen.kinds() == [("succeeded", attempt_id, 1250)]
        assert seen.events[0].source == "webhook"
        assert _stored(app, attempt_id) == [("payment_intent.succeeded", "applied")]


def test_a_declined_card_fails_the_attempt(
    stripe_settings: Settings, localstripe: LocalStripe
) -> None:
    with live_app(stripe_settings) as (url, app):
        localstripe.deliver_webhooks_to(url + WEBHOOK, secret(app))
        with told() as seen:
            attempt_id = start(app, "order-8")
            pi = attempt(app, attempt_id).provider_ref
            assert pi is not None
            with pytest.raises(stripe.CardError):
                localstripe.pay(pi, "pm_card_chargeCustomerFail")
            wait_for(lambda: attempt(app, attempt_id).status == "failed")
        assert attempt(app, attempt_id).failure_code == "card_declined"
        assert seen.kinds() == [("failed", attempt_id, 1250)]


def test_polling_and_the_webhook_tell_the_success_once(
    stripe_settings: Settings, localstripe: LocalStripe
) -> None:
    with live_app(stripe_settings) as (url, app):
        localstripe.deliver_webhooks_to(url + WEBHOOK, secret(app))
        with told() as seen:
            attempt_id = start(app, "order-9")
            pi = attempt(app, attempt_id).provider_ref
            assert pi is not None
            localstripe.pay(pi)
            with app.state.rc.db.transaction() as db:  # before localstripe's webhook (1 s)
                assert sync_attempt(db, provider(app), attempt_id).status == "succeeded"
            wait_for(lambda: _stored(app, attempt_id) != [])
        assert seen.kinds() == [("succeeded", attempt_id, 1250)]
        assert seen.events[0].source == "poll"
        assert _stored(app, attempt_id) == [("payment_intent.succeeded", "stale")]


@pytest.fixture
def paid(stripe_settings: Settings, localstripe: LocalStripe) -> Any:
    """An app (no live server) and a succeeded attempt of 1250 CNY (paid, then polled)."""
    app = create_app(stripe_settings)
    attempt_id = start(app, "order-r")
    pi = attempt(app, attempt_id).provider_ref
    assert pi is not None
    localstripe.pay(pi)
    with app.state.rc.db.transaction() as db:
        sync_attempt(db, provider(app), attempt_id)
    yield app, attempt_id, pi
    app.state.rc.db.dispose()


def _refund(app: Any, attempt_id: str, key: str, amount: int | None = None) -> PaymentRefund:
    with app.state.rc.db.transaction() as db:
        return refund_payment(
            db, provider(app), attempt_id, idempotency_key=key, amount_minor=amount
        )


def test_partial_then_full_refunds(paid: Any, localstripe: LocalStripe) -> None:
    app, attempt_id, pi = paid
    with told() as seen:
        first = _refund(app, attempt_id, "refund-1", 250)
        assert (first.status, first.amount_minor) == ("succeeded", 250)
        assert first.provider_ref and first.provider_ref.startswith("re_")
        assert _refund(app, attempt_id, "refund-1", 250).id == first.id  # the same key
        state = attempt(app, attempt_id)
        assert (state.status, state.amount_refunded) == ("partially_refunded", 250)
        rest = _refund(app, attempt_id, "refund-2")  # no amount: all that is left
        assert rest.amount_minor == 1000
    assert seen.kinds() == [("refunded", attempt_id, 250), ("refunded", attempt_id, 1000)]
    state = attempt(app, attempt_id)
    assert (state.status, state.amount_refunded) == ("refunded", 1250)
    refunds = localstripe.client().v1.refunds.list(params={"payment_intent": pi})
    assert sorted(r.amount for r in refunds.data) == [250, 1000]  # one per key at Stripe
    with pytest.raises(AppError) as exc:
        _refund(app, attempt_id, "refund-3", 1)
    assert exc.value.code == "not_refundable"
    with app.state.rc.db.transaction() as db:  # Stripe's totals agree: nothing moves
        sync_attempt(db, provider(app), attempt_id)
    assert attempt(app, attempt_id).amount_refunded == 1250


def test_refunds_are_bounded_and_keys_are_not_reused(paid: Any) -> None:
    app, attempt_id, _pi = paid
    with pytest.raises(AppError) as exc:
        _refund(app, attempt_id, "too-much", 1251)
    assert (exc.value.status, exc.value.code) == (409, "refund_exceeds_payment")
    assert exc.value.details == {"refundable": 1250}
    _refund(app, attempt_id, "k", 100)
    with pytest.raises(AppError) as exc:
        _refund(app, attempt_id, "k", 200)
    assert (exc.value.status, exc.value.code) == (422, "idempotency_key_reused")


def test_stripes_refund_webhook_after_our_refund_counts_nothing_twice(paid: Any) -> None:
    """localstripe sends no charge.refunded; Stripe does, so it is signed here."""
    app, attempt_id, pi = paid
    with told() as seen:
        _refund(app, attempt_id, "refund-1", 300)
        body = event("evt_refunded", "charge.refunded", charge(pi, 1250, 300))
        with TestClient(app, raise_server_exceptions=False) as c:
            r = c.post(WEBHOOK, content=body, headers=signed(body, secret(app)))
        assert r.json()["outcome"] == "stale"
    assert seen.kinds() == [("refunded", attempt_id, 300)]
    assert attempt(app, attempt_id).amount_refunded == 300


def test_a_pending_attempt_cannot_be_refunded(stripe_settings: Settings) -> None:
    app = create_app(stripe_settings)
    attempt_id = start(app, "unpaid")
    with pytest.raises(AppError) as exc:
        _refund(app, attempt_id, "r")
    assert exc.value.code == "not_refundable"
    app.state.rc.db.dispose()


def test_starting_again_with_one_key_returns_the_same_attempt(stripe_settings: Settings) -> None:
    app = create_app(stripe_settings)
    db_ = app.state.rc.db
    args: dict[str, Any] = {"purpose": "topup", "subject_id": "u1", "amount_minor": 500,
                            "currency": "usd", "idempotency_key": "topup-1"}  # fmt: skip
    with db_.transaction() as db:
        first = start_payment(db, provider(app), **args)
    with db_.transaction() as db:
        again = start_payment(db, provider(app), **args)
    assert first.created and not again.created
    assert again.attempt.id == first.attempt.id
    assert again.attempt.provider_ref == first.attempt.provider_ref
    assert first.action.kind == again.action.kind == "client_secret"
    assert again.action.value == first.action.value
    for changed in ({"amount_minor": 501}, {"currency": "EUR"}, {"subject_id": "u2"}):
        with pytest.raises(AppError) as exc, db_.transaction() as db:
            start_payment(db, provider(app), **{**args, **changed})
        assert (exc.value.status, exc.value.code) == (422, "idempotency_key_reused")
    refused: list[tuple[dict[str, Any], str]] = [
        ({"amount_minor": 0}, "bad_amount"),
        ({"currency": "XXX"}, "unknown_currency"),
        ({"idempotency_key": ""}, "bad_idempotency_key"),
    ]
    for bad, code in refused:
        with pytest.raises(AppError) as exc, db_.transaction() as db:
            start_payment(db, provider(app), **{**args, **bad})
        assert exc.value.code == code
    db_.dispose()

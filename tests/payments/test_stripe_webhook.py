"""The Stripe webhook: signatures, once-only storage, replay, and what events do."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from payment_helpers import WEBHOOK, attempt, charge, event, intent, secret, signed, start, told

from relaycode.app import create_app
from relaycode.config import Settings
from relaycode.models import ProviderEvent


@pytest.fixture
def stripe_app(stripe_settings: Settings) -> Any:
    application = create_app(stripe_settings)
    yield application
    application.state.rc.db.dispose()


@pytest.fixture
def client(stripe_app: Any) -> Any:
    with TestClient(stripe_app, raise_server_exceptions=False) as c:
        yield c


def _events(app: Any) -> list[ProviderEvent]:
    with app.state.rc.db.read_transaction() as db:
        return list(db.query(ProviderEvent).order_by(ProviderEvent.id))


def _succeeded(app: Any, attempt_id: str, event_id: str = "evt_ok") -> bytes:
    pi = attempt(app, attempt_id).provider_ref
    assert pi is not None
    return event(event_id, "payment_intent.succeeded", intent(pi, attempt_id, 1250))


def test_a_signed_success_moves_the_attempt_and_tells_its_handlers(
    client: TestClient, stripe_app: Any
) -> None:
    attempt_id = start(stripe_app, "order-1")
    assert attempt(stripe_app, attempt_id).status == "pending"
    body = _succeeded(stripe_app, attempt_id)
    with told() as seen:
        r = client.post(WEBHOOK, content=body, headers=signed(body, secret(stripe_app)))
    assert r.status_code == 200, r.text
    assert r.json() == {"received": True, "event_id": "evt_ok", "duplicate": False,
                        "outcome": "applied"}  # fmt: skip
    assert attempt(stripe_app, attempt_id).status == "succeeded"
    assert seen.kinds() == [("succeeded", attempt_id, 1250)]
    [stored] = _events(stripe_app)
    assert (stored.event_id, stored.kind, stored.attempt_id) == ("evt_ok", "succeeded", attempt_id)
    assert stored.processed_at is not None and stored.outcome == "applied"


def test_a_replayed_event_changes_nothing(client: TestClient, stripe_app: Any) -> None:
    attempt_id = start(stripe_app, "order-1")
    body = _succeeded(stripe_app, attempt_id)
    with told() as seen:
        first = client.post(WEBHOOK, content=body, headers=signed(body, secret(stripe_app)))
        before = attempt(stripe_app, attempt_id)
        again = client.post(WEBHOOK, content=body, headers=signed(body, secret(stripe_app)))
    assert first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    after = attempt(stripe_app, attempt_id)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
    assert len(seen.kinds()) == 1
    assert len(_events(stripe_app)) == 1


def _refused(client: TestClient, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    r = client.post(WEBHOOK, content=body, headers=headers)
    assert r.status_code == 400, r.text
    error: dict[str, Any] = r.json()["error"]
    return error


def test_signature_failures_are_400_bad_signature_and_store_nothing(
    client: TestClient, stripe_app: Any
) -> None:
    attempt_id = start(stripe_app, "order-1")
    body = _succeeded(stripe_app, attempt_id)
    key = secret(stripe_app)
    v0 = signed(body, key)["Stripe-Signature"].replace("v1", "v0")
    cases = {
        "no header": {"Content-Type": "application/json"},
        "another secret": signed(body, "whsec_not-ours"),
        "old timestamp": signed(body, key, int(time.time()) - 301),
        "garbled header": {"Stripe-Signature": "t=abc,v1="},
        "other scheme": {"Stripe-Signature": v0},
        "other body": signed(body + b" ", key),
    }  # fmt: skip
    for name, headers in cases.items():
        error = _refused(client, body, headers)
        assert error["code"] == "bad_signature", name
    assert _events(stripe_app) == []
    assert attempt(stripe_app, attempt_id).status == "pending"


def test_verified_bodies_that_are_no_event_are_400_bad_event(
    client: TestClient, stripe_app: Any
) -> None:
    key = secret(stripe_app)
    not_utf8 = b'{"id": "\xff"}'
    header = {"Stripe-Signature": signed(b"x", key)["Stripe-Signature"]}
    assert _refused(client, not_utf8, header)["code"] in ("bad_signature", "bad_event")
    for body in (
        b"not json",
        b'{"object": "event"}',
        b"[1, 2]",
        b'{"id": 1, "type": "x", "data": 7}',
    ):
        assert _refused(client, body, signed(body, key))["code"] == "bad_event", body
    assert _events(stripe_app) == []


def test_a_body_over_the_limit_is_413(stripe_settings: Settings) -> None:
    small = stripe_settings.model_copy(update={"stripe_webhook_max_bytes": 2048})
    app = create_app(small)
    with TestClient(app, raise_server_exceptions=False) as c:
        body = b'{"pad": "' + b"x" * 4096 + b'"}'
        r = c.post(WEBHOOK, content=body, headers=signed(body, secret(app)))
    app.state.rc.db.dispose()
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_without_stripe_configured_the_webhook_is_503(settings: Settings) -> None:
    app = create_app(settings)  # no RELAYCODE_STRIPE_SECRET_KEY
    with TestClient(app, raise_server_exceptions=False) as c:
        body = event("evt_1", "payment_intent.succeeded", intent("pi_1", None, 1))
        r = c.post(WEBHOOK, content=body, headers=signed(body, "whsec_x"))
    app.state.rc.db.dispose()
    assert r.status_code == 503 and r.json()["error"]["code"] == "provider_unavailable"
    assert not (settings.data_dir / "keys" / "stripe_webhook.json").exists()


def test_stale_and_out_of_order_news_is_stored_but_changes_nothing(
    client: TestClient, stripe_app: Any
) -> None:
    attempt_id = start(stripe_app, "order-1")
    pi = attempt(stripe_app, attempt_id).provider_ref
    assert pi is not None
    key = secret(stripe_app)
    ok = _succeeded(stripe_app, attempt_id, "evt_1")
    declined = {"code": "card_declined"}
    obj = intent(
        pi, attempt_id, 1250, status="requires_payment_method", last_payment_error=declined
    )
    failed = event("evt_2", "payment_intent.payment_failed", obj)
    with told() as seen:
        assert (
            client.post(WEBHOOK, content=ok, headers=signed(ok, key)).json()["outcome"] == "applied"
        )
        r = client.post(WEBHOOK, content=failed, headers=signed(failed, key))
    assert r.json()["outcome"] == "stale"
    assert attempt(stripe_app, attempt_id).status == "succeeded"
    assert seen.kinds() == [("succeeded", attempt_id, 1250)]


def test_a_failure_then_a_success_on_the_same_intent(client: TestClient, stripe_app: Any) -> None:
    attempt_id = start(stripe_app, "order-1")
    pi = attempt(stripe_app, attempt_id).provider_ref
    assert pi is not None
    key = secret(stripe_app)
    declined = {"decline_code": "insufficient_funds"}
    obj = intent(
        pi, attempt_id, 1250, status="requires_payment_method", last_payment_error=declined
    )
    failed = event("evt_1", "payment_intent.payment_failed", obj)
    with told() as seen:
        client.post(WEBHOOK, content=failed, headers=signed(failed, key))
        assert attempt(stripe_app, attempt_id).failure_code == "insufficient_funds"
        ok = _succeeded(stripe_app, attempt_id, "evt_2")
        client.post(WEBHOOK, content=ok, headers=signed(ok, key))
    assert [k for k, _, _ in seen.kinds()] == ["failed", "succeeded"]
    assert attempt(stripe_app, attempt_id).status == "succeeded"
    assert attempt(stripe_app, attempt_id).failure_code is None


def test_events_for_payments_not_ours_or_not_matching_are_kept_apart(
    client: TestClient, stripe_app: Any
) -> None:
    key = secret(stripe_app)
    attempt_id = start(stripe_app, "order-1")
    pi = attempt(stripe_app, attempt_id).provider_ref
    assert pi is not None
    stranger = event("evt_1", "payment_intent.succeeded", intent("pi_elsewhere", None, 99))
    cheaper = event("evt_2", "payment_intent.succeeded", intent(pi, attempt_id, 1))
    dollars = event("evt_3", "payment_intent.succeeded", intent(pi, attempt_id, 1250, "usd"))
    spoofed = event("evt_4", "payment_intent.succeeded", intent("pi_other", attempt_id, 1250))
    other = event("evt_5", "customer.created", {"id": "cus_1", "object": "customer"})
    outcomes = [
        client.post(WEBHOOK, content=b, headers=signed(b, key)).json()["outcome"]
        for b in (stranger, cheaper, dollars, spoofed, other)
    ]
    assert outcomes == ["unknown_attempt", "amount_mismatch", "amount_mismatch",
                        "unknown_attempt", "ignored"]  # fmt: skip
    assert attempt(stripe_app, attempt_id).status == "pending"
    assert len(_events(stripe_app)) == 5


def test_refund_events_count_once_and_imply_the_success(
    client: TestClient, stripe_app: Any
) -> None:
    """charge.refunded before payment_intent.succeeded (Stripe does not order events)."""
    attempt_id = start(stripe_app, "order-1")
    pi = attempt(stripe_app, attempt_id).provider_ref
    assert pi is not None
    key = secret(stripe_app)
    part = event("evt_1", "charge.refunded", charge(pi, 1250, 250))
    rest = event("evt_2", "charge.refunded", charge(pi, 1250, 1250))
    with told() as seen:
        for body in (part, part, rest, _succeeded(stripe_app, attempt_id, "evt_3")):
            assert client.post(WEBHOOK, content=body, headers=signed(body, key)).status_code == 200
    assert seen.kinds() == [
        ("succeeded", attempt_id, 1250),
        ("refunded", attempt_id, 250),
        ("refunded", attempt_id, 1000),
    ]
    final = attempt(stripe_app, attempt_id)
    assert (final.status, final.amount_refunded) == ("refunded", 1250)


def test_a_handler_that_fails_leaves_the_event_for_the_retry(
    client: TestClient, stripe_app: Any
) -> None:
    from relaycode.payments.events import on_payment_event

    attempt_id = start(stripe_app, "order-1")
    body = _succeeded(stripe_app, attempt_id)

    def broken(db: Any, e: Any) -> None:
        raise RuntimeError("the orders table is on fire")

    unregister = on_payment_event("order", broken)
    try:
        r = client.post(WEBHOOK, content=body, headers=signed(body, secret(stripe_app)))
    finally:
        unregister()
    assert r.status_code == 500
    [stored] = _events(stripe_app)
    assert stored.processed_at is None and "on fire" in (stored.last_error or "")
    assert attempt(stripe_app, attempt_id).status == "pending"
    with told() as seen:
        r = client.post(WEBHOOK, content=body, headers=signed(body, secret(stripe_app)))
    assert r.json()["duplicate"] is False and r.json()["outcome"] == "applied"
    assert len(seen.kinds()) == 1
    assert attempt(stripe_app, attempt_id).status == "succeeded"

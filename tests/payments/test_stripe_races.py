"""Concurrency: one Stripe event delivered many times at once is processed once, and
one idempotency key started many times at once makes one PaymentIntent. Real
connections (a live server, threads with their own sessions), SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

from live import clients, close_all, live_app, race
from payment_helpers import WEBHOOK, attempt, event, intent, provider, secret, start, told
from payment_helpers import signed as sign
from sqlalchemy import func, select
from stripe_server import LocalStripe

from relaycode.app import create_app
from relaycode.config import Settings
from relaycode.models import PaymentAttempt, ProviderEvent
from relaycode.payments.attempts import start_payment

N = 20


def test_concurrent_deliveries_of_one_event_are_processed_once(stripe_settings: Settings) -> None:
    with live_app(stripe_settings) as (url, app):
        attempt_id = start(app, "order-race")
        pi = attempt(app, attempt_id).provider_ref
        assert pi is not None
        body = event("evt_race", "payment_intent.succeeded", intent(pi, attempt_id, 1250))
        headers = sign(body, secret(app))
        cs = clients(url, N)
        try:
            with told() as seen:
                answers = race(N, lambda i: cs[i].post(WEBHOOK, content=body, headers=headers))
        finally:
            close_all(cs)
        assert [r.status_code for r in answers] == [200] * N, [r.text for r in answers]
        assert Counter(r.json()["duplicate"] for r in answers) == {False: 1, True: N - 1}
        assert seen.kinds() == [("succeeded", attempt_id, 1250)]
        with app.state.rc.db.read_transaction() as db:
            assert db.scalar(select(func.count()).select_from(ProviderEvent)) == 1
        assert attempt(app, attempt_id).status == "succeeded"


def test_concurrent_starts_with_one_key_make_one_intent(
    stripe_settings: Settings, localstripe: LocalStripe
) -> None:
    app = create_app(stripe_settings)
    key = "order-42-attempt-1"

    def go(_i: int) -> Any:
        with app.state.rc.db.transaction() as db:
            started = start_payment(
                db,
                provider(app),
                purpose="order",
                subject_id="42",
                amount_minor=999,
                currency="EUR",
                idempotency_key=key,
            )
            return started.attempt.id, started.attempt.provider_ref, started.created

    try:
        results = race(8, go)
        with app.state.rc.db.read_transaction() as db:
            assert db.scalar(select(func.count()).select_from(PaymentAttempt)) == 1
    finally:
        app.state.rc.db.dispose()
    assert len({(a, ref) for a, ref, _ in results}) == 1
    assert sum(1 for *_, created in results if created) == 1
    attempt_id = results[0][0]
    intents = localstripe.client().v1.payment_intents.list(params={"limit": 100})
    every = list(intents.auto_paging_iter())  # the whole session's intents, page by page
    ours = [i for i in every if i.metadata.to_dict().get("relaycode_attempt") == attempt_id]
    assert len(ours) == 1

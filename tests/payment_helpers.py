"""Helpers for the payment tests: Stripe events signed as Stripe signs them, attempts,
and a handler that records what it is told (plain functions, not fixtures)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import stripe
from fastapi import FastAPI
from sqlalchemy.orm import Session

from relaycode.models import PaymentAttempt
from relaycode.payments.attempts import start_payment
from relaycode.payments.events import PaymentEvent, on_payment_event
from relaycode.payments.stripe_provider import StripeProvider

WEBHOOK = "/api/v1/payments/stripe/webhook"


def provider(app: FastAPI) -> StripeProvider:
    found = app.state.rc.payments.named("stripe")
    assert isinstance(found, StripeProvider)
    return found


def secret(app: FastAPI) -> str:
    return provider(app).secrets.active()


def event(event_id: str, type_: str, obj: dict[str, Any], created: int | None = None) -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "type": type_,
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "api_version": "2026-10-28.endive",
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


def intent(
    pi: str, attempt: str | None, amount: int, currency: str = "cny", **extra: Any
) -> dict[str, Any]:
    meta = {"relaycode_attempt": attempt} if attempt else {}
    return {"id": pi, "object": "payment_intent", "amount": amount, "currency": currency,
            "metadata": meta, "status": "succeeded", **extra}  # fmt: skip


def charge(pi: str, amount: int, refunded: int, currency: str = "cny") -> dict[str, Any]:
    return {"id": f"ch_{pi}", "object": "charge", "payment_intent": pi, "amount": amount,
            "amount_refunded": refunded, "currency": currency, "metadata": {}}  # fmt: skip


def signed(body: bytes, key: str, timestamp: int | None = None) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), key, timestamp)
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


def start(app: FastAPI, key: str, amount: int = 1250, currency: str = "CNY", **kw: Any) -> str:
    """A committed attempt made through Stripe (localstripe); its id."""
    with app.state.rc.db.transaction() as db:
        started = start_payment(
            db,
            provider(app),
            purpose=kw.pop("purpose", "order"),
            subject_id=kw.pop("subject_id", "order-1"),
            amount_minor=amount,
            currency=currency,
            idempotency_key=key,
            **kw,
        )
        return started.attempt.id


def attempt(app: FastAPI, attempt_id: str) -> PaymentAttempt:
    with app.state.rc.db.read_transaction() as db:
        found = db.get(PaymentAttempt, attempt_id)
        assert found is not None
        return found


@dataclass
class Told:
    events: list[PaymentEvent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kinds(self) -> list[tuple[str, str, int]]:
        with self.lock:
            return [(e.kind, e.attempt.id, e.amount_minor) for e in self.events]


@contextmanager
def told(purpose: str = "order") -> Iterator[Told]:
    """Records every event handlers for ``purpose`` are told, while the block runs."""
    seen = Told()

    def handler(db: Session, e: PaymentEvent) -> None:
        with seen.lock:
            seen.events.append(e)

    unregister = on_payment_event(purpose, handler)
    try:
        yield seen
    finally:
        unregister()


def wait_for(predicate: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s")
        time.sleep(0.05)

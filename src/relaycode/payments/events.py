"""What a payment did, told to whoever it was for: ``on_payment_event(purpose, handler)``.

Orders register for ``"order"``, wallet top-ups for ``"topup"``. A handler is called with
the request's session, inside the transaction that changed the attempt (a webhook, a
refund, a wallet payment), so what it writes commits or rolls back with the payment's
new state; it must not commit. Each change of an attempt's state is told once: a
replayed webhook, or a poll that learns what a webhook already said, changes nothing and
calls nobody (payments/attempts.py decides what is a change).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from relaycode.models import PaymentAttempt
from relaycode.payments.provider import EventKind


@dataclass(frozen=True)
class PaymentEvent:
    """``amount_minor``: the attempt's amount, or for "refunded" what this refund added
    (``attempt.amount_refunded`` is the total so far)."""

    kind: EventKind
    attempt: PaymentAttempt
    amount_minor: int
    currency: str
    source: str  # "webhook", "refund", "poll", "start"
    provider_event_id: str | None = None


Handler = Callable[[Session, PaymentEvent], None]

_handlers: dict[str, list[Handler]] = {}
_lock = threading.Lock()


def on_payment_event(purpose: str, handler: Handler) -> Callable[[], None]:
    """Call ``handler`` for every event of attempts made for ``purpose``; returns a
    function that unregisters it (tests; a module registers once, at import)."""
    with _lock:
        _handlers.setdefault(purpose, []).append(handler)

    def unregister() -> None:
        with _lock:
            if handler in _handlers.get(purpose, []):
                _handlers[purpose].remove(handler)

    return unregister


def dispatch(db: Session, event: PaymentEvent) -> None:
    """Run the handlers for the attempt's purpose, in registration order. A handler
    that raises aborts the whole transaction (the webhook is then retried)."""
    with _lock:
        handlers = list(_handlers.get(event.attempt.purpose, ()))
    for handler in handlers:
        handler(db, event)

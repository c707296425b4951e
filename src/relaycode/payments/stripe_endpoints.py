"""``POST /api/v1/payments/stripe/webhook``: Stripe's events, verified, stored once, acted on.

No credentials: the ``Stripe-Signature`` header is the proof (payments/stripe_provider.py
verifies it with the library's ``construct_event``, within the tolerance). A bad or stale
signature is a 400 ``bad_signature``, a verified body that is no event a 400 ``bad_event``,
a body over ``RELAYCODE_STRIPE_WEBHOOK_MAX_BYTES`` a 413 (bodylimit.py), Stripe switched
off a 503 ``provider_unavailable``: Stripe retries whatever is not a 2xx. A replayed event
answers 200 with ``duplicate: true`` and changes nothing (payments/inbox.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from relaycode.deps import StateDep
from relaycode.payments import inbox
from relaycode.payments.provider import Notification

router = APIRouter(tags=["payments"])
WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"


class WebhookAnswer(BaseModel):
    received: bool = True
    event_id: str
    duplicate: bool = Field(description="Stored and processed before: nothing was done now")
    outcome: str | None = Field(
        description="applied, stale, ignored, unknown_attempt or amount_mismatch"
    )


@router.post("/payments/stripe/webhook", response_model=WebhookAnswer)
async def stripe_webhook(request: Request, state: StateDep) -> WebhookAnswer:
    """Receive one Stripe event (the endpoint to register with Stripe: docs/payments.md)."""
    provider = state.payments.named("stripe")
    body = await request.body()
    headers = {name.lower(): value for name, value in request.headers.items()}
    events = await run_in_threadpool(provider.parse_notification, Notification(body, headers))
    answer: WebhookAnswer | None = None
    for event in events:  # Stripe sends one per delivery
        got = await run_in_threadpool(inbox.receive, state.db, provider.name, event)
        answer = WebhookAnswer(event_id=got.event_id, duplicate=got.duplicate, outcome=got.outcome)
    assert answer is not None
    return answer

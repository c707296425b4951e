"""Stripe, through the official ``stripe`` library: PaymentIntents, refunds, webhooks.

``StripeClient`` (not the module-level globals), one per process, with our timeout and
retries; ``RELAYCODE_STRIPE_API_BASE`` points it elsewhere (localstripe in the tests).
A PaymentIntent is made with our attempt id in its metadata and ``relaycode-<attempt
id>`` as its idempotency key, so a retried start gets the same intent; the buyer's page
confirms it with the client secret (web/static/stripe-card.js) and the outcome comes
back as a signed webhook (payments/stripe_endpoints.py). Refunds likewise carry our
refund id. Every Stripe error becomes an ``AppError`` with a stable code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy.orm import Session

from relaycode.config import Settings
from relaycode.errors import Conflict
from relaycode.money import MoneyError
from relaycode.payments.provider import (
    BadNotification,
    BuyerAction,
    EventKind,
    Notification,
    PaymentRefused,
    PaymentRequest,
    ProviderEventData,
    ProviderFailed,
    ProviderPayment,
    ProviderRefund,
    ProviderUnavailable,
    RefundRequest,
    RefundStatus,
    Status,
)
from relaycode.payments.stripe_money import from_stripe, to_stripe
from relaycode.payments.stripe_secrets import WebhookSecretError, WebhookSecrets

ATTEMPT_KEY = "relaycode_attempt"  # metadata keys on PaymentIntents and Refunds
REFUND_KEY = "relaycode_refund"
STRIPE_JS = "https://js.stripe.com/v3/"
# The events the webhook endpoint should be subscribed to (docs/payments.md).
EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "charge.refunded",
    "refund.updated",
    "refund.failed",
)
_KINDS: dict[str, EventKind] = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "canceled",
    "payment_intent.processing": "processing",
    "charge.refunded": "refunded",
}


class NotConfigured(Exception):
    """Stripe is off on this instance; the message says which setting turns it on."""


def intent_status(intent: Mapping[str, Any]) -> Status:
    """A PaymentIntent's status in our words."""
    status = intent.get("status")
    if status == "succeeded":
        return "succeeded"
    if status == "canceled":
        return "canceled"
    if status in ("processing", "requires_capture"):
        return "processing"
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        return "failed"  # the buyer may still try another card on the same intent
    return "pending"  # requires_payment_method / _confirmation / _action


def _failure(intent: Mapping[str, Any]) -> str | None:
    error = intent.get("last_payment_error") or {}
    code = error.get("decline_code") or error.get("code")
    return str(code)[:64] if code else None


def _refund_status(value: Any) -> RefundStatus:
    if value == "succeeded":
        return "succeeded"
    if value in ("failed", "canceled"):
        return "failed"
    return "pending"  # pending, requires_action


class StripeProvider:
    name = "stripe"

    def __init__(
        self,
        client: stripe.StripeClient,
        secrets: WebhookSecrets,
        *,
        tolerance: int = 300,
        publishable_key: str | None = None,
        js_url: str = STRIPE_JS,
    ) -> None:
        self.client = client
        self.secrets = secrets
        self.tolerance = tolerance
        self.publishable_key = publishable_key
        self.js_url = js_url

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeProvider:
        if settings.stripe_secret_key is None or not settings.stripe_secret_key.get_secret_value():
            raise NotConfigured("Stripe is not configured (set RELAYCODE_STRIPE_SECRET_KEY)")
        base = (settings.stripe_api_base or "").rstrip("/") or None
        client = stripe.StripeClient(
            settings.stripe_secret_key.get_secret_value(),
            base_addresses={"api": base} if base else None,
            max_network_retries=settings.stripe_max_network_retries,
            http_client=stripe.RequestsClient(timeout=settings.stripe_timeout_seconds),
        )
        # A spoiled secrets file stops the server (WebhookSecretError is a ValueError).
        secrets = WebhookSecrets.from_settings(settings)
        return cls(
            client,
            secrets,
            tolerance=settings.stripe_webhook_tolerance,
            publishable_key=settings.stripe_publishable_key,
            # localstripe serves its stand-in for Stripe.js at <base>/js.stripe.com/v3/.
            js_url=f"{base}/js.stripe.com/v3/" if base else STRIPE_JS,
        )

    # -- payments ---------------------------------------------------------------------

    def start(self, db: Session, request: PaymentRequest) -> ProviderPayment:
        amount = self._amount(request.amount_minor, request.currency)
        metadata = {
            ATTEMPT_KEY: request.attempt_id,
            "relaycode_purpose": request.purpose,
            "relaycode_subject": request.subject_id,
        }
        if request.merchant_id is not None:
            metadata["relaycode_merchant"] = str(request.merchant_id)
        with _errors():
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": amount,
                    "currency": request.currency.lower(),
                    "metadata": metadata,
                },
                options={"idempotency_key": f"relaycode-{request.attempt_id}"},
            )
        return self._payment(intent.to_dict())

    def retrieve(self, db: Session, provider_ref: str) -> ProviderPayment:
        with _errors():
            intent = self.client.v1.payment_intents.retrieve(
                provider_ref, params={"expand": ["latest_charge"]}
            )
        return self._payment(intent.to_dict())

    def cancel(self, db: Session, provider_ref: str) -> ProviderPayment:
        with _errors():
            intent = self.client.v1.payment_intents.cancel(provider_ref)
        return self._payment(intent.to_dict())

    def refund(self, db: Session, request: RefundRequest) -> ProviderRefund:
        amount = self._amount(request.amount_minor, request.currency)
        with _errors():
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": request.provider_ref,
                    "amount": amount,
                    "metadata": {REFUND_KEY: request.refund_id, ATTEMPT_KEY: request.attempt_id},
                },
                options={"idempotency_key": f"relaycode-{request.refund_id}"},
            )
        data = refund.to_dict()
        return ProviderRefund(
            provider_ref=str(data["id"]),
            status=_refund_status(data.get("status")),
            amount_minor=from_stripe(int(data.get("amount") or amount), request.currency),
        )

    def _amount(self, amount_minor: int, currency: str) -> int:
        try:
            return to_stripe(amount_minor, currency)
        except MoneyError:
            raise PaymentRefused(
                f"Stripe cannot take {amount_minor} minor units of {currency} exactly",
                code="amount_not_representable",
            ) from None

    def _payment(self, intent: Mapping[str, Any]) -> ProviderPayment:
        currency = str(intent["currency"]).upper()
        charge = intent.get("latest_charge")
        refunded = int(charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0
        status = intent_status(intent)
        secret = intent.get("client_secret")
        action = (
            BuyerAction("client_secret", str(secret)) if status == "pending" and secret else None
        )
        return ProviderPayment(
            provider_ref=str(intent["id"]),
            status=status,
            amount_minor=from_stripe(int(intent["amount"]), currency),
            currency=currency,
            amount_refunded=from_stripe(refunded, currency),
            action=action or BuyerAction(),
            failure_code=_failure(intent),
        )

    # -- webhooks ---------------------------------------------------------------------

    def parse_notification(self, notification: Notification) -> list[ProviderEventData]:
        header = notification.headers.get("stripe-signature")
        try:
            candidates = self.secrets.all()
        except WebhookSecretError as exc:
            raise ProviderUnavailable(str(exc)) from None
        error: str = "no webhook secret"
        for secret in candidates:
            try:
                self.client.construct_event(notification.body, header, secret, self.tolerance)
                break
            except stripe.SignatureVerificationError as exc:
                error = str(exc.user_message or exc)
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                # Not UTF-8, not JSON, JSON that is no object, a thin event: the library
                # says so in any of these ways.
                raise BadNotification(f"not a Stripe event: {exc}", code="bad_event") from None
        else:
            raise BadNotification(f"Stripe signature refused: {error}")
        return [parse_event(json.loads(notification.body))]


def parse_event(event: Mapping[str, Any]) -> ProviderEventData:
    """What a (verified) Stripe event means for us."""
    try:
        event_id, event_type = str(event["id"]), str(event["type"])
        obj: Mapping[str, Any] = event["data"]["object"]
        created = datetime.fromtimestamp(int(event.get("created") or 0), UTC)
        metadata = obj.get("metadata") or {}
        currency = str(obj["currency"]).upper() if obj.get("currency") else None
        kind = _KINDS.get(event_type)
        common: dict[str, Any] = {
            "event_id": event_id,
            "event_type": event_type,
            "occurred_at": created,
            "payload": event,
            "currency": currency,
        }
        if event_type.startswith("payment_intent."):
            return ProviderEventData(
                kind=kind,
                provider_ref=str(obj["id"]),
                attempt_id=_text(metadata.get(ATTEMPT_KEY)),
                amount_minor=_ours(obj.get("amount"), currency),
                failure_code=_failure(obj),
                **common,
            )
        if event_type == "charge.refunded":
            return ProviderEventData(
                kind=kind,
                provider_ref=_text(obj.get("payment_intent")),
                attempt_id=_text(metadata.get(ATTEMPT_KEY)),
                amount_minor=_ours(obj.get("amount"), currency),
                amount_refunded=_ours(obj.get("amount_refunded"), currency),
                **common,
            )
        if event_type.startswith(("refund.", "charge.refund.")):
            return ProviderEventData(
                kind=None,
                provider_ref=_text(obj.get("payment_intent")),
                attempt_id=_text(metadata.get(ATTEMPT_KEY)),
                refund_ref=_text(obj.get("id")),
                refund_status=_refund_status(obj.get("status")),
                amount_minor=_ours(obj.get("amount"), currency),
                **common,
            )
        return ProviderEventData(kind=None, provider_ref=None, attempt_id=None, **common)
    except (KeyError, TypeError, ValueError, AttributeError, MoneyError) as exc:
        raise BadNotification(f"not a Stripe event we can read: {exc}", code="bad_event") from None


def _text(value: Any) -> str | None:
    return str(value)[:255] if isinstance(value, str) and value else None


def _ours(value: Any, currency: str | None) -> int | None:
    if value is None or currency is None:
        return None
    return from_stripe(int(value), currency)


@contextmanager
def _errors() -> Iterator[None]:
    """Stripe's exceptions as our errors: 503 when Stripe cannot be reached or refuses
    our key, 422 when it refuses the request, 409 for a reused idempotency key."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise ProviderUnavailable(f"Stripe is unreachable: {exc.user_message or exc}") from None
    except (stripe.AuthenticationError, stripe.PermissionError):
        raise ProviderUnavailable("Stripe refused this instance's API key") from None
    except stripe.IdempotencyError:
        raise Conflict(
            "Stripe saw this idempotency key with other parameters", code="idempotency_conflict"
        ) from None
    except stripe.CardError as exc:
        raise PaymentRefused(
            str(exc.user_message or "card declined"), code="card_declined"
        ) from None
    except stripe.InvalidRequestError as exc:
        raise PaymentRefused(
            f"Stripe refused the request: {exc.user_message or exc}",
            details={"stripe_code": exc.code} if exc.code else None,
        ) from None
    except stripe.StripeError as exc:
        raise ProviderFailed(f"Stripe failed: {exc.user_message or exc}") from None

"""The payment-provider protocol: what relaycode asks of Stripe, the wallet, WeChat Pay ...

A provider is a backend (docs/backends.md): a class with ``from_settings`` named in
``RELAYCODE_PAYMENT_PROVIDERS`` per payment method (``{"card": "stripe"}``), overridable
per merchant (``RELAYCODE_PAYMENT_MERCHANT_PROVIDERS``); ``payments/registry.py`` loads
them at startup. The shape is the common ground of three families (docs/payments.md):

* **client-confirmed** (Stripe): ``start`` makes a PaymentIntent, the buyer's browser
  confirms it with the client secret, the outcome arrives as a signed webhook;
* **merchant order number + asynchronous notify** (WeChat Pay, Alipay): ``start`` places
  an order under our ``attempt_id`` as ``out_trade_no`` and answers a QR code or a
  redirect; the provider posts a signed notification to the notify URL, and ``retrieve``
  (their query API) settles what a lost notification left open;
* **in-house** (the wallet): ``start`` settles at once, in the caller's transaction.

Amounts are integer minor units of ISO 4217 (money.py); a provider with other units
(Stripe's zero-decimal list differs from ISO's in places) converts at its edge. Methods
receive the request's database session: remote providers ignore it, the wallet writes
its ledger entries through it, so a payment and what it pays for commit together.
Outages and refusals are ``AppError``s with stable codes (``provider_unavailable``,
``provider_error``, ``payment_refused`` ...), never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from relaycode.errors import AppError

Purpose = Literal["order", "topup", "shop_payment"]
# What a payment is, in our words, whoever the provider.
Status = Literal[
    "pending", "processing", "succeeded", "failed", "canceled", "partially_refunded", "refunded"
]
# What an inbound notification says happened; handlers (payments/events.py) see these.
EventKind = Literal["processing", "succeeded", "failed", "canceled", "refunded"]
ActionKind = Literal["none", "client_secret", "redirect", "qr"]
RefundStatus = Literal["pending", "succeeded", "failed"]


class ProviderUnavailable(AppError):
    """No provider configured for this payment method (or it is down): try another."""

    status = 503
    code = "provider_unavailable"


class ProviderFailed(AppError):
    """The provider answered, but not with what we asked (a bug on one side, or theirs)."""

    status = 502
    code = "provider_error"


class PaymentRefused(AppError):
    """The provider refused the request itself (a bad amount, a refund above the charge)."""

    status = 422
    code = "payment_refused"


@dataclass(frozen=True)
class PaymentRequest:
    """What ``start`` is asked: ``attempt_id`` is our reference (Stripe metadata, the
    out_trade_no of WeChat Pay / Alipay); ``idempotency_key`` makes a retried start
    return the same provider payment."""

    attempt_id: str
    purpose: Purpose
    subject_id: str
    merchant_id: int | None
    amount_minor: int
    currency: str
    idempotency_key: str
    description: str = ""
    payer_user_id: int | None = None
    # Where the buyer comes back after a redirect (Alipay page pay, 3-D Secure) ...
    return_url: str | None = None
    # ... and where asynchronous providers post their notifications (WeChat's notify_url).
    notify_url: str | None = None


@dataclass(frozen=True)
class BuyerAction:
    """What the buyer's page does next: nothing (settled), confirm with a client secret
    (Stripe.js), follow a redirect (Alipay page pay) or show a QR code (WeChat Native)."""

    kind: ActionKind = "none"
    value: str | None = None


@dataclass(frozen=True)
class ProviderPayment:
    """What the provider says about one payment right now."""

    provider_ref: str
    status: Status
    amount_minor: int
    currency: str
    amount_refunded: int = 0
    action: BuyerAction = field(default_factory=BuyerAction)
    failure_code: str | None = None


@dataclass(frozen=True)
class RefundRequest:
    """``refund_id`` is our reference (WeChat's out_refund_no, Alipay's out_request_no)."""

    refund_id: str
    attempt_id: str
    provider_ref: str
    amount_minor: int
    currency: str
    idempotency_key: str
    reason: str | None = None


@dataclass(frozen=True)
class ProviderRefund:
    provider_ref: str
    status: RefundStatus
    amount_minor: int


@dataclass(frozen=True)
class Notification:
    """An inbound HTTP notification, as received: verified by ``parse_notification``."""

    body: bytes
    headers: Mapping[str, str]  # lower-case names


@dataclass(frozen=True)
class ProviderEventData:
    """One normalized event. ``event_id`` is unique per provider (the store's key);
    ``kind`` None means "nothing for us" (it is stored, and not acted on)."""

    event_id: str
    event_type: str
    kind: EventKind | None
    provider_ref: str | None
    attempt_id: str | None
    amount_minor: int | None = None
    currency: str | None = None
    amount_refunded: int | None = None  # cumulative, for "refunded"
    refund_ref: str | None = None
    refund_status: RefundStatus | None = None
    failure_code: str | None = None
    occurred_at: datetime | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class PaymentProvider(Protocol):
    """A way to take money; ``name`` is kept with each attempt (payment_attempts.provider)."""

    name: str

    def start(self, db: Session, request: PaymentRequest) -> ProviderPayment:
        """Ask for a payment. Called again with the same idempotency key it returns the
        same payment (the provider's idempotency, or its merchant order number)."""
        ...

    def retrieve(self, db: Session, provider_ref: str) -> ProviderPayment:
        """The payment's state now (Stripe retrieve, WeChat/Alipay order query): what
        settles an attempt whose notification was lost."""
        ...

    def refund(self, db: Session, request: RefundRequest) -> ProviderRefund:
        """Refund all or part of a succeeded payment; the same idempotency key (or
        refund id) twice makes one refund."""
        ...

    def parse_notification(self, notification: Notification) -> list[ProviderEventData]:
        """Verify an inbound notification and say what it means. A bad signature, a stale
        timestamp or a body that is no notification raises ``BadNotification`` (400)."""
        ...


class BadNotification(AppError):
    """An inbound notification that is not from the provider, or not one at all."""

    status = 400
    code = "bad_signature"

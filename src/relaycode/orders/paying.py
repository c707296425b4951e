"""An order's payment: the provider that takes it, and what happens when it is paid,
fails or is cancelled (told by payments/events.py; see handlers.py).

Ledger, per order (docs/orders.md): the wallet provider posts buyer → merchant itself;
for any other provider the money arrives through its clearing account, so when the
payment succeeds ``provider_clearing(<provider>) → merchant`` is posted here. Both use
the key ``order:<id>:pay``. The merchant's ledger account is locked before any other
account of an order's postings, so payments, commissions and refunds of one merchant
queue on it and never deadlock.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.merchants import repository as merchant_repo
from relaycode.models import LedgerAccount, Offer, Order, PaymentAttempt
from relaycode.notify.service import emit, notify_merchant_staff, notify_user
from relaycode.payments import ledger
from relaycode.payments.attempts import apply_status
from relaycode.payments.provider import BuyerAction, PaymentProvider, ProviderUnavailable
from relaycode.referrals.commissions import record_for_order

if TYPE_CHECKING:
    from relaycode.orders.service import Context

log = logging.getLogger(__name__)
PAY_KIND = "order_payment"
IN_HOUSE = "wallet"  # the provider that posts its own ledger entries
# The operator's hard cap on commission depth (Settings.commission_max_depth), set by
# create_app: payment handlers are told of payments with no settings at hand.
_settings: dict[str, int] = {"operator_max_depth": 3}


def configure(*, operator_max_depth: int) -> None:
    _settings["operator_max_depth"] = operator_max_depth


def operator_max_depth() -> int:
    return _settings["operator_max_depth"]


def provider_of(db: Session, ctx: Context, order: Order) -> PaymentProvider:
    """The provider that took (or takes) the order's payment."""
    attempt = db.get(PaymentAttempt, order.payment_attempt_id) if order.payment_attempt_id else None
    if attempt is not None:
        return ctx.payments.named(attempt.provider)
    merchant = merchant_repo.merchant_by_id(db, order.merchant_id)
    return ctx.payments.for_merchant(merchant.slug if merchant else None, order.payment_method)


def lock_merchant_account(db: Session, merchant_id: int, currency: str) -> LedgerAccount:
    acct = ledger.account(db, "merchant", currency, merchant_id=merchant_id)
    locked = get_for_update(db, LedgerAccount, acct.id)
    assert locked is not None
    return locked


def pending_action(db: Session, provider: PaymentProvider, order: Order) -> BuyerAction | None:
    """What the buyer does next for a pending order (confirm the card again)."""
    attempt = db.get(PaymentAttempt, order.payment_attempt_id)
    if attempt is None or attempt.provider_ref is None:
        return None
    if attempt.status not in ("pending", "failed"):
        return None
    action = provider.retrieve(db, attempt.provider_ref).action
    return action if action.kind != "none" else None


def event_data(order: Order, offer: Offer | None = None) -> dict[str, Any]:
    """An order as webhook payloads carry it (docs/webhooks.md)."""
    data: dict[str, Any] = {
        "order_id": order.id,
        "status": order.status,
        "offer_id": order.offer_id,
        "quantity": order.quantity,
        "amount_minor": order.amount_minor,
        "amount_refunded_minor": order.amount_refunded_minor,
        "currency": order.currency,
        "payment_method": order.payment_method,
        "code_id": order.code_id,
        "attributed_code_id": order.attributed_code_id,
    }
    if offer is not None:
        data["offer_title"] = offer.title
    if order.delivery_address is not None and order.status != "cancelled":
        data["delivery_address"] = order.delivery_address  # for logistics ([0100])
    return data


def tell(db: Session, order: Order, event_type: str, **extra: Any) -> None:
    """Queue the order's webhook event, once per order and type (its event id)."""
    offer = db.get(Offer, order.offer_id)
    suffix = extra.pop("event_suffix", "")
    emit(
        db,
        merchant_id=order.merchant_id,
        event_type=event_type,
        data={**event_data(order, offer), **extra},
        event_id=f"{event_type}:{order.id}{suffix}",
    )


def inbox_data(order: Order, offer: Offer | None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order_id": order.id,
        "amount_minor": order.amount_minor,
        "currency": order.currency,
        "url": f"/orders/{order.id}",
        **extra,
    }
    if offer is not None:
        data["offer_title"] = offer.title[:200]
    return data


def mark_paid(db: Session, order: Order, attempt: PaymentAttempt) -> bool:
    """The order (row-locked by the caller) is paid by ``attempt``; False if it was
    already. Posts the clearing → merchant movement for remote providers, records the
    commissions and tells the buyer, the merchant's staff and its webhooks."""
    if order.status not in ("pending", "cancelled"):
        return False
    if order.status == "cancelled":
        # The buyer's money came in after a cancel (a card confirmed meanwhile): the
        # payment wins, the order is paid, and the merchant refunds it if it must.
        log.warning("order %s was paid after it was cancelled", order.id)
    merchant = lock_merchant_account(db, order.merchant_id, order.currency)
    if attempt.provider != IN_HOUSE:
        clearing = ledger.account(
            db, "provider_clearing", order.currency, provider=attempt.provider
        )
        ledger.post(
            db,
            kind=PAY_KIND,
            lines=[(clearing, -order.amount_minor), (merchant, order.amount_minor)],
            reference=("order", order.id),
            idempotency_key=f"order:{order.id}:pay",
        )
    now = utcnow()
    order.status, order.paid_at, order.updated_at = "paid", now, now
    order.cancelled_at = None
    order.payment_attempt_id = attempt.id
    db.flush()
    record_for_order(db, order, operator_max_depth=operator_max_depth(), now=now)
    offer = db.get(Offer, order.offer_id)
    notify_user(
        db,
        order.buyer_user_id,
        "payment_succeeded",
        inbox_data(order, offer),
        dedupe_key=f"payment_succeeded:{order.id}",
    )
    notify_merchant_staff(
        db,
        order.merchant_id,
        "order_new",
        inbox_data(order, offer),
        dedupe_key=f"order_new:{order.id}",
    )
    tell(db, order, "order.paid")
    tell(db, order, "payment.succeeded", provider=attempt.provider)
    return True


def payment_failed(db: Session, order: Order, attempt: PaymentAttempt) -> None:
    """Tell the buyer (the order stays pending: they may try again)."""
    offer = db.get(Offer, order.offer_id)
    reason = attempt.failure_code or "failed"
    notify_user(db, order.buyer_user_id, "payment_failed", inbox_data(order, offer, reason=reason))
    emit(
        db,
        merchant_id=order.merchant_id,
        event_type="payment.failed",
        data={**event_data(order, offer), "provider": attempt.provider, "reason": reason},
    )


def mark_cancelled(db: Session, order: Order, *, reason: str | None = None) -> None:
    now = utcnow()
    order.status, order.cancelled_at, order.updated_at = "cancelled", now, now
    db.flush()
    tell(db, order, "order.cancelled", reason=reason)


def cancel_payment(db: Session, ctx: Context, order: Order) -> None:
    """Cancel the order's pending payment at its provider (Stripe: the PaymentIntent)."""
    if order.payment_attempt_id is None:
        return
    attempt = get_for_update(db, PaymentAttempt, order.payment_attempt_id)
    if attempt is None or attempt.status not in ("pending", "failed", "processing"):
        return
    try:
        provider = ctx.payments.named(attempt.provider)
    except ProviderUnavailable:
        provider = None
    cancel = getattr(provider, "cancel", None)
    if callable(cancel) and attempt.provider_ref is not None:
        answer = cancel(db, attempt.provider_ref)
        apply_status(db, attempt, answer.status, source="cancel")
    else:
        apply_status(db, attempt, "canceled", source="cancel")

"""Placing orders and moving them through their states (docs/orders.md).

What the API and the pages call, in the request's transaction (services never commit)::

    place_order(db, ctx, *, buyer, code_text, quantity, payment_method, idempotency_key,
                delivery_address=None, device_id=None, now=None) -> Placed
    fulfil_order(db, ctx, *, order_id, actor) -> Order            # refunds.py:
    cancel_order(db, ctx, *, order_id, actor, reason=None) -> Order
    refund_order(db, ctx, *, order_id, actor, amount_minor=None, idempotency_key,
                 reason=None) -> Refunded
    visible_order(db, actor, order_id) -> Order                   # buyer or merchant staff
    buyer_orders(db, user_id, ...) / merchant_orders(db, merchant_id, ...) -> Page

``ctx`` is anything with ``settings``, ``keyring`` and ``payments`` (the ``AppState``).
``actor`` is the caller's ``Principal`` (identity/auth.py), never a Request.

**Idempotency.** An order is made once per (buyer, ``idempotency_key``): the row is
inserted with ``INSERT … ON CONFLICT DO NOTHING`` on that unique pair *before* it is
paid, so of concurrent submits with one key the first pays and the others wait for its
transaction, then find its order (``created`` false). Another body under a used key
(``request_hash``: sha256 of the canonical body) is a 422 ``idempotency_key_reused``.

**Wallet payments** settle inside this transaction; ``insufficient_funds`` (409) rolls it
back whole, so no order is left behind and the same submit after a top-up pays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from relaycode.catalog.status import effective_status
from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.db.pagination import Page
from relaycode.errors import Conflict, InvalidInput, NotFound
from relaycode.identity.auth import Principal
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants.service import EDITORS, authorize
from relaycode.models import Code, Merchant, Offer, Order, User
from relaycode.models.order import ORDER_STATUSES
from relaycode.notify.service import emit
from relaycode.orders import access, attribution, handlers, paying, pricing
from relaycode.orders import repository as repo
from relaycode.orders.access import ORDERS_WRITE, get_order, visible_order
from relaycode.orders.refunds import Refunded, refund_order
from relaycode.payments.attempts import start_payment
from relaycode.payments.provider import BuyerAction, PaymentProvider, ProviderUnavailable
from relaycode.payments.registry import PaymentProviders
from relaycode.referrals.commission_rules import effective_rules
from relaycode.referrals.service import Gone, parent_for_text

__all__ = [
    "Context",
    "MethodUnavailable",
    "Placed",
    "Refunded",
    "buyer_orders",
    "cancel_order",
    "check_status",
    "fulfil_order",
    "get_order",
    "merchant_orders",
    "place_order",
    "refund_order",
    "visible_order",
]
ORDERABLE_KINDS = ("offer", "share")
METHOD = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
HANDLERS = handlers.on_order_payment  # imported for its registration with payments/events


class Context(Protocol):
    """What the order services need of the process (``AppState`` has it)."""

    settings: Settings
    keyring: Keyring
    payments: PaymentProviders


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool  # False: the idempotency key named an order made before
    action: BuyerAction | None  # what the buyer's page does next (None: nothing)
    provider: PaymentProvider


class MethodUnavailable(InvalidInput):
    code = "payment_method_unavailable"


def check_status(status: str | None) -> str | None:
    if status is not None and status not in ORDER_STATUSES:
        raise InvalidInput(f"no order status {status!r}", code="bad_status")
    return status


def _orderable_code(db: Session, ctx: Context, code_text: str, now: datetime) -> Code:
    if not isinstance(code_text, str) or not 1 <= len(code_text) <= 2048:
        raise InvalidInput("the code is a text of 1 to 2048 characters", code="not_a_code")
    code = parent_for_text(db, ctx.settings, ctx.keyring, code_text.strip())
    if code.offer_id is None or code.kind not in ORDERABLE_KINDS:
        raise InvalidInput("this code does not stand for an offer", code="not_orderable")
    if code.status == "revoked":
        raise Gone("this code was withdrawn by its issuer", code="code_revoked")
    if code.status == "expired" or (code.expires_at is not None and code.expires_at <= now):
        raise Gone("this code has expired", code="code_expired")
    return code


def _provider(ctx: Context, offer: Offer, merchant: Merchant, method: str) -> PaymentProvider:
    """The provider taking ``method`` for this offer, or ``payment_method_unavailable``."""
    listed = list(offer.payment_methods or [])
    if listed and method not in listed:
        raise MethodUnavailable(
            f"this offer is not paid by {method!r}", details={"methods": sorted(map(str, listed))}
        )
    try:
        return ctx.payments.for_merchant(merchant.slug, method)
    except ProviderUnavailable as exc:
        raise MethodUnavailable(exc.message, details={"method": method}) from None


def place_order(
    db: Session,
    ctx: Context,
    *,
    buyer: User,
    code_text: str,
    quantity: int,
    payment_method: str,
    idempotency_key: str,
    delivery_address: dict[str, object] | None = None,
    device_id: int | None = None,
    now: datetime | None = None,
) -> Placed:
    """Order ``quantity`` of what ``code_text`` stands for and start paying it.

    Refusals: ``bad_idempotency_key``, ``bad_quantity``, ``bad_address``,
    ``delivery_address_required``, ``not_a_code``/``foreign_code``/``invalid_code``,
    ``not_orderable``, ``payment_method_unavailable``, ``not_for_sale``,
    ``idempotency_key_reused`` (422); ``unknown_code`` (404); ``code_revoked``,
    ``code_expired`` (410); ``offer_not_on_sale`` (409, ``details.status``);
    ``insufficient_funds`` (409, wallet)."""
    now = now or utcnow()
    key = pricing.check_key(idempotency_key)
    quantity = pricing.check_quantity(quantity)
    address = pricing.clean_address(delivery_address)
    if not isinstance(payment_method, str) or not METHOD.match(payment_method):
        raise MethodUnavailable("unknown payment method")
    digest = pricing.request_hash(str(code_text), quantity, payment_method, address)
    earlier = repo.by_key(db, buyer.id, key)
    if earlier is not None:
        return _replay(db, ctx, earlier, digest)
    code = _orderable_code(db, ctx, code_text, now)
    offer = db.get(Offer, code.offer_id)
    merchant = merchant_repo.merchant_by_id(db, offer.merchant_id) if offer else None
    if offer is None or merchant is None:
        raise NotFound("this code is not registered here", code="unknown_code")
    status = effective_status(offer, now)
    if status != "active":
        raise Conflict(
            "this offer is not on sale now", code="offer_not_on_sale", details={"status": status}
        )
    provider = _provider(ctx, offer, merchant, payment_method)
    amount = pricing.order_amount(offer.price_minor, quantity)
    if pricing.is_physical(offer.sales_channel) and address is None:
        raise InvalidInput(
            "physical goods need a delivery address", code="delivery_address_required"
        )
    rules = effective_rules(db, offer, operator_max_depth=ctx.settings.commission_max_depth)
    credit = attribution.attribute(
        db, code=code, offer_id=offer.id, buyer_user_id=buyer.id, rules=rules, now=now
    )
    values = {
        "merchant_id": merchant.id,
        "offer_id": offer.id,
        "buyer_user_id": buyer.id,
        "buyer_device_id": device_id,
        "code_id": code.id,
        "attributed_code_id": credit.code_id,
        "bind_mode": credit.bind_mode,
        "referrer_chain": credit.chain,
        "quantity": quantity,
        "unit_price_minor": offer.price_minor,
        "amount_minor": amount,
        "amount_refunded_minor": 0,
        "currency": offer.currency,
        "payment_method": payment_method,
        "status": "pending",
        "delivery_address": address,
        "idempotency_key": key,
        "request_hash": digest,
        "created_at": now,
        "updated_at": now,
    }
    new_id = repo.insert_once(db, Order, values)
    if new_id is None:  # a concurrent submit with this key made it; its transaction ended
        earlier = repo.by_key(db, buyer.id, key)
        if earlier is None:  # not possible: the conflicting row is committed and visible
            raise Conflict("try again", code="order_conflict")
        return _replay(db, ctx, earlier, digest)
    order = get_for_update(db, Order, new_id)
    assert order is not None
    emit(
        db,
        merchant_id=merchant.id,
        event_type="order.created",
        data=paying.event_data(order, offer),
        event_id=f"order.created:{order.id}",
    )
    started = start_payment(
        db,
        provider,
        purpose="order",
        subject_id=str(order.id),
        amount_minor=amount,
        currency=offer.currency,
        idempotency_key=f"order:{order.id}",
        merchant_id=merchant.id,
        payer_user_id=buyer.id,
        description=offer.title[:200],
    )
    order = get_for_update(db, Order, new_id)  # the payment's handlers may have moved it
    assert order is not None
    if order.payment_attempt_id is None:
        order.payment_attempt_id = started.attempt.id
        db.flush()
    action = started.action if started.action.kind != "none" else None
    return Placed(order, True, action, provider)


def _replay(db: Session, ctx: Context, order: Order, digest: str) -> Placed:
    """The order an idempotency key made before, with the buyer's next step again."""
    if order.request_hash != digest:
        raise InvalidInput(
            "this Idempotency-Key was used for another order", code="idempotency_key_reused"
        )
    provider = paying.provider_of(db, ctx, order)
    action: BuyerAction | None = None
    if order.status == "pending" and order.payment_attempt_id is not None:
        action = paying.pending_action(db, provider, order)
    return Placed(order, False, action, provider)


# ---- reading -------------------------------------------------------------------------


def buyer_orders(
    db: Session, user_id: int, *, status: str | None = None, cursor: str | None, limit: int
) -> Page[tuple[Order, Offer]]:
    return repo.buyer_page(db, user_id, status=check_status(status), cursor=cursor, limit=limit)


def merchant_orders(
    db: Session, merchant_id: int, *, status: str | None = None, cursor: str | None, limit: int
) -> Page[tuple[Order, Offer]]:
    return repo.merchant_page(
        db, merchant_id, status=check_status(status), cursor=cursor, limit=limit
    )


# ---- transitions ---------------------------------------------------------------------


def fulfil_order(db: Session, ctx: Context, *, order_id: int, actor: Principal) -> Order:
    """paid → fulfilled (merchant staff). Fulfilling a fulfilled order changes nothing;
    any other state is ``not_fulfillable`` (409)."""
    order = access.staff_order(db, actor, order_id)
    if order.status == "fulfilled":
        return order
    if order.status != "paid":
        raise Conflict(
            "only a paid order can be fulfilled",
            code="not_fulfillable",
            details={"status": order.status},
        )
    now = utcnow()
    order.status, order.fulfilled_at, order.updated_at = "fulfilled", now, now
    db.flush()
    paying.tell(db, order, "order.fulfilled")
    return order


def cancel_order(
    db: Session, ctx: Context, *, order_id: int, actor: Principal, reason: str | None = None
) -> Order:
    """pending → cancelled, by the buyer or merchant staff; the provider's pending
    payment is cancelled first. Cancelling a cancelled order changes nothing; a paid one
    is ``not_cancellable`` (409: refund it instead)."""
    order = access.visible_order(db, actor, order_id)
    if actor.user is None or actor.user.id != order.buyer_user_id:
        authorize(db, actor, access.merchant_of(db, order), roles=EDITORS, scope=ORDERS_WRITE)
    order = access.get_order(db, order.id, lock=True)
    if order.status == "cancelled":
        return order
    if order.status != "pending":
        raise Conflict(
            "only a pending order can be cancelled",
            code="not_cancellable",
            details={"status": order.status},
        )
    paying.cancel_payment(db, ctx, order)
    order = access.get_order(db, order.id, lock=True)
    if order.status == "pending":  # the cancelled payment's handler may have done it
        paying.mark_cancelled(db, order, reason=reason)
    return order

"""Refunding an order, fully or in part, once per idempotency key (docs/orders.md).

Order of work, all in the caller's transaction, under the order's row lock and then the
merchant's ledger account lock: the ``order_refunds`` row, the order's refunded total,
the commissions reversed in proportion (``reverse_for_refund``: the merchant account is
credited back first), and only then the money: the provider's refund (the wallet posts
merchant → buyer's wallet) and, for remote providers, merchant → provider clearing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import Conflict, InvalidInput
from relaycode.identity.auth import Principal
from relaycode.models import Offer, Order, OrderRefund, PaymentAttempt
from relaycode.notify.service import notify_user
from relaycode.orders import access, paying, pricing
from relaycode.orders import repository as repo
from relaycode.payments import ledger
from relaycode.payments.attempts import refund_payment
from relaycode.referrals.commissions import reverse_for_refund

if TYPE_CHECKING:
    from relaycode.orders.service import Context

REFUNDABLE = ("paid", "fulfilled", "partially_refunded")
REFUND_KIND = "order_refund"


@dataclass(frozen=True)
class Refunded:
    order: Order
    refund: OrderRefund
    created: bool  # False: the idempotency key named a refund made before


def derived_key(amount_minor: int | None) -> str:
    """The key of a refund asked without one: a double click (the same body twice)
    refunds once. Two equal partial refunds on purpose need keys of their own."""
    return f"auto:{amount_minor if amount_minor is not None else 'rest'}"


def refund_order(
    db: Session,
    ctx: Context,
    *,
    order_id: int,
    actor: Principal,
    amount_minor: int | None = None,
    idempotency_key: str | None = None,
    reason: str | None = None,
) -> Refunded:
    """Give back ``amount_minor`` (None: all that is left) of a paid order (merchant
    owners and staff). Refusals: ``not_refundable`` (409, not paid), ``refund_exceeds_order``
    (409, ``details.refundable``), ``bad_amount``, ``idempotency_key_reused`` (422)."""
    if amount_minor is not None and (isinstance(amount_minor, bool) or amount_minor <= 0):
        raise InvalidInput("a refund amount is positive", code="bad_amount")
    key = pricing.check_key(idempotency_key or derived_key(amount_minor))
    order = access.staff_order(db, actor, order_id)
    earlier = repo.refund_by_key(db, order.id, key)
    if earlier is not None:
        if amount_minor is not None and earlier.amount_minor != amount_minor:
            raise InvalidInput(
                "this Idempotency-Key was used for another refund", code="idempotency_key_reused"
            )
        return Refunded(order, earlier, created=False)
    if order.status not in REFUNDABLE:
        raise Conflict(
            "only a paid order can be refunded",
            code="not_refundable",
            details={"status": order.status},
        )
    left = order.amount_minor - order.amount_refunded_minor
    amount = left if amount_minor is None else amount_minor
    if not 0 < amount <= left:
        raise Conflict(
            f"at most {left} can still be refunded",
            code="refund_exceeds_order",
            details={"refundable": left},
        )
    user_id = actor.user.id if actor.user is not None else None
    refund = book_refund(db, ctx, order, amount, key=key, reason=reason, actor_user_id=user_id)
    return Refunded(order, refund, created=True)


def book_refund(
    db: Session,
    ctx: Context | None,
    order: Order,
    amount: int,
    *,
    key: str,
    reason: str | None,
    actor_user_id: int | None,
    provider_done: bool = False,
) -> OrderRefund:
    """Record a refund of ``amount`` on the locked ``order`` and move its money.
    ``provider_done``: the provider has refunded already (a refund made at the provider,
    told by its webhook), so only our books follow."""
    now = utcnow()
    refund = OrderRefund(
        order_id=order.id,
        amount_minor=amount,
        reason=reason,
        actor_user_id=actor_user_id,
        idempotency_key=key,
        created_at=now,
    )
    db.add(refund)
    before = order.amount_refunded_minor
    order.amount_refunded_minor = before + amount
    order.status = (
        "refunded" if order.amount_refunded_minor >= order.amount_minor else ("partially_refunded")
    )
    order.refunded_at, order.updated_at = now, now
    db.flush()
    merchant = paying.lock_merchant_account(db, order.merchant_id, order.currency)
    reverse_for_refund(db, order, refund=refund, refunded_before_minor=before)
    attempt = (
        get_for_update(db, PaymentAttempt, order.payment_attempt_id)
        if order.payment_attempt_id
        else None
    )
    if attempt is None:
        raise Conflict("this order has no payment to refund", code="not_refundable")
    if not provider_done:
        assert ctx is not None
        provider = ctx.payments.named(attempt.provider)
        paid_back = refund_payment(
            db,
            provider,
            attempt.id,
            idempotency_key=f"order-refund:{refund.id}",
            amount_minor=amount,
            reason=reason,
        )
        refund.payment_refund_id = paid_back.id
    if attempt.provider != paying.IN_HOUSE:
        clearing = ledger.account(
            db, "provider_clearing", order.currency, provider=attempt.provider
        )
        ledger.post(
            db,
            kind=REFUND_KIND,
            lines=[(merchant, -amount), (clearing, amount)],
            reference=("order", order.id),
            idempotency_key=f"order:{order.id}:refund:{refund.id}",
        )
    db.flush()
    notify_user(  # the buyer learns of it (an open order page updates itself)
        db,
        order.buyer_user_id,
        "order_refunded",
        paying.inbox_data(order, db.get(Offer, order.offer_id), amount_minor=amount),
        dedupe_key=f"order_refunded:{order.id}:{refund.id}",
    )
    paying.tell(
        db,
        order,
        "order.refunded",
        refund_id=refund.id,
        refund_minor=amount,
        event_suffix=f":{refund.id}",
    )
    return refund


def sync_provider_refund(db: Session, order: Order, attempt: PaymentAttempt) -> None:
    """A refund the provider reports beyond what our books hold (one made in Stripe's
    dashboard): book the difference, once per refunded total."""
    if order.status not in REFUNDABLE:
        return
    missing = min(attempt.amount_refunded, order.amount_minor) - order.amount_refunded_minor
    if missing <= 0:
        return
    key = f"provider:{attempt.amount_refunded}"
    if repo.refund_by_key(db, order.id, key) is not None:
        return
    book_refund(
        db,
        None,
        order,
        missing,
        key=key,
        reason="refunded at the provider",
        actor_user_id=None,
        provider_done=True,
    )

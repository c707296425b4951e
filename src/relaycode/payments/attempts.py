"""Payment attempts: start one, refund it, and the rules for how its state may change.

An attempt's id is made from its provider and the caller's idempotency key, and is
inserted with ``INSERT … ON CONFLICT DO NOTHING`` before the provider is asked: of two
starts with one key, the second waits for the first's transaction and then finds its
row, so the provider is asked once even where it has no idempotency of its own. The
provider is called inside the caller's transaction (on SQLite that holds the writer
gate for the length of the call: docs/payments.md).

Every change of state goes through ``apply_status`` / ``apply_refunded`` on a locked
row: a change is told to the handlers once (payments/events.py), and news that is
stale (a failure after a success, a refund total lower than what we know) is ignored.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaycode.db.locking import ensure_write_lock, get_for_update
from relaycode.errors import Conflict, InvalidInput, NotFound
from relaycode.models import PaymentAttempt, PaymentRefund
from relaycode.models.payment_attempt import PURPOSES
from relaycode.money import MAX_MINOR, MoneyError, currency_code
from relaycode.payments.events import PaymentEvent, dispatch
from relaycode.payments.provider import (
    BuyerAction,
    EventKind,
    PaymentProvider,
    PaymentRequest,
    Purpose,
    RefundRequest,
    Status,
)

# Which state may follow which. Refunds move only through apply_refunded.
_NEXT: dict[str, frozenset[str]] = {
    "pending": frozenset({"processing", "succeeded", "failed", "canceled"}),
    "processing": frozenset({"succeeded", "failed", "canceled"}),
    "failed": frozenset({"processing", "succeeded", "canceled"}),  # the buyer tried again
    "succeeded": frozenset(),
    "partially_refunded": frozenset(),
    "canceled": frozenset(),
    "refunded": frozenset(),
}
_TOLD: dict[str, EventKind] = {
    "processing": "processing",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "canceled",
}
REFUNDABLE = ("succeeded", "partially_refunded")


def _derived(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).digest()
    return prefix + base64.b32encode(digest).decode("ascii")[:26].lower()


def attempt_id_for(provider: str, idempotency_key: str) -> str:
    return _derived("pa_", provider, idempotency_key)


def refund_id_for(attempt_id: str, idempotency_key: str) -> str:
    return _derived("pr_", attempt_id, idempotency_key)


@dataclass(frozen=True)
class StartedPayment:
    attempt: PaymentAttempt
    action: BuyerAction  # what the buyer's page does next
    created: bool  # False: the idempotency key named an attempt made before


def _check_key(key: str) -> str:
    if not 1 <= len(key) <= 200:
        raise InvalidInput("an idempotency key has 1 to 200 characters", code="bad_idempotency_key")
    return key


def _insert_once(db: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """True when this call inserted the row; False when one with its key exists (after
    waiting for a concurrent inserter's transaction, on PostgreSQL)."""
    ensure_write_lock(db)
    table = cast(Table, model.__table__)
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(**values).on_conflict_do_nothing()
    return db.execute(stmt.returning(table.c.id)).first() is not None


def start_payment(
    db: Session,
    provider: PaymentProvider,
    *,
    purpose: Purpose,
    subject_id: str,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    merchant_id: int | None = None,
    payer_user_id: int | None = None,
    description: str = "",
    return_url: str | None = None,
    notify_url: str | None = None,
) -> StartedPayment:
    """Ask ``provider`` for a payment; the same key again returns the same attempt (and a
    different amount, currency or subject under that key is a 422)."""
    if purpose not in PURPOSES:
        raise InvalidInput(f"unknown payment purpose {purpose!r}", code="bad_purpose")
    if not 0 < amount_minor <= MAX_MINOR:
        raise InvalidInput("the amount must be positive", code="bad_amount")
    try:
        currency = currency_code(currency)
    except MoneyError:
        raise InvalidInput(f"{currency!r} is not a currency", code="unknown_currency") from None
    key = _check_key(idempotency_key)
    attempt_id = attempt_id_for(provider.name, key)
    now = datetime.now(UTC)
    values = {
        "id": attempt_id,
        "provider": provider.name,
        "purpose": purpose,
        "subject_id": subject_id,
        "merchant_id": merchant_id,
        "payer_user_id": payer_user_id,
        "amount_minor": amount_minor,
        "currency": currency,
        "amount_refunded": 0,
        "status": "pending",
        "idempotency_key": key,
        "created_at": now,
        "updated_at": now,
    }
    created = _insert_once(db, PaymentAttempt, values)
    attempt = get_for_update(db, PaymentAttempt, attempt_id)
    assert attempt is not None
    if not created:
        same = (attempt.purpose, attempt.subject_id, attempt.amount_minor, attempt.currency)
        if same != (purpose, subject_id, amount_minor, currency):
            raise InvalidInput(
                "this idempotency key was used for another payment", code="idempotency_key_reused"
            )
        action = BuyerAction()
        if attempt.status in ("pending", "failed") and attempt.provider_ref:
            action = provider.retrieve(db, attempt.provider_ref).action
        return StartedPayment(attempt, action, created=False)
    request = PaymentRequest(
        attempt_id=attempt_id,
        purpose=purpose,
        subject_id=subject_id,
        merchant_id=merchant_id,
        amount_minor=amount_minor,
        currency=currency,
        idempotency_key=key,
        description=description,
        payer_user_id=payer_user_id,
        return_url=return_url,
        notify_url=notify_url,
    )
    payment = provider.start(db, request)
    attempt.provider_ref = payment.provider_ref
    db.flush()
    apply_status(db, attempt, payment.status, source="start", failure_code=payment.failure_code)
    return StartedPayment(attempt, payment.action, created=True)


def apply_status(
    db: Session,
    attempt: PaymentAttempt,
    status: Status,
    *,
    source: str,
    failure_code: str | None = None,
    event_id: str | None = None,
) -> bool:
    """Move a locked attempt to ``status`` if the rules allow; True when it moved (and
    the handlers were told). Refund states are ``apply_refunded``'s."""
    if status in ("refunded", "partially_refunded") or status == attempt.status:
        return False
    if status not in _NEXT[attempt.status]:
        return False  # stale or out-of-order news: what we know already supersedes it
    attempt.status = status
    attempt.failure_code = failure_code if status == "failed" else None
    attempt.updated_at = datetime.now(UTC)
    db.flush()
    kind = _TOLD.get(status)
    if kind is not None:
        event = PaymentEvent(
            kind, attempt, attempt.amount_minor, attempt.currency, source, event_id
        )
        dispatch(db, event)
    return True


def apply_refunded(
    db: Session,
    attempt: PaymentAttempt,
    total_refunded: int,
    *,
    source: str,
    event_id: str | None = None,
) -> bool:
    """Record that ``total_refunded`` (cumulative) has gone back to the buyer. A refund
    implies the payment succeeded, so an attempt not yet known as succeeded is moved
    there first (webhooks may arrive in any order)."""
    total = min(total_refunded, attempt.amount_minor)
    if total <= attempt.amount_refunded or attempt.status == "canceled":
        return False
    if attempt.status not in REFUNDABLE:
        apply_status(db, attempt, "succeeded", source=source, event_id=event_id)
    added = total - attempt.amount_refunded
    attempt.amount_refunded = total
    attempt.status = "refunded" if total >= attempt.amount_minor else "partially_refunded"
    attempt.updated_at = datetime.now(UTC)
    db.flush()
    dispatch(db, PaymentEvent("refunded", attempt, added, attempt.currency, source, event_id))
    return True


def sync_attempt(db: Session, provider: PaymentProvider, attempt_id: str) -> PaymentAttempt:
    """Ask the provider how the attempt stands (a lost webhook, a buyer back from a
    redirect) and apply what it says."""
    attempt = get_for_update(db, PaymentAttempt, attempt_id)
    if attempt is None or attempt.provider != provider.name:
        raise NotFound("no such payment attempt", code="attempt_not_found")
    if attempt.provider_ref is None:
        return attempt
    payment = provider.retrieve(db, attempt.provider_ref)
    apply_status(db, attempt, payment.status, source="poll", failure_code=payment.failure_code)
    if payment.amount_refunded:
        apply_refunded(db, attempt, payment.amount_refunded, source="poll")
    return attempt


def refund_payment(
    db: Session,
    provider: PaymentProvider,
    attempt_id: str,
    *,
    idempotency_key: str,
    amount_minor: int | None = None,
    reason: str | None = None,
) -> PaymentRefund:
    """Refund ``amount_minor`` (default: all that is left) of a succeeded attempt. The
    same key again returns the same refund; more than is left is a 409."""
    key = _check_key(idempotency_key)
    attempt = get_for_update(db, PaymentAttempt, attempt_id)
    if attempt is None or attempt.provider != provider.name:
        raise NotFound("no such payment attempt", code="attempt_not_found")
    refund_id = refund_id_for(attempt.id, key)
    existing = db.get(PaymentRefund, refund_id)
    if existing is not None:
        if amount_minor is not None and existing.amount_minor != amount_minor:
            raise InvalidInput(
                "this idempotency key was used for another refund", code="idempotency_key_reused"
            )
        return existing
    if attempt.status not in REFUNDABLE or attempt.provider_ref is None:
        raise Conflict("only a succeeded payment can be refunded", code="not_refundable")
    pending = db.scalar(
        select(func.coalesce(func.sum(PaymentRefund.amount_minor), 0)).where(
            PaymentRefund.attempt_id == attempt.id, PaymentRefund.status == "pending"
        )
    )
    left = attempt.amount_minor - attempt.amount_refunded - int(pending or 0)
    amount = left if amount_minor is None else amount_minor
    if amount <= 0 or amount > left:
        raise Conflict(
            f"at most {max(left, 0)} can still be refunded",
            code="refund_exceeds_payment",
            details={"refundable": max(left, 0)},
        )
    now = datetime.now(UTC)
    refund = PaymentRefund(
        id=refund_id,
        attempt_id=attempt.id,
        amount_minor=amount,
        currency=attempt.currency,
        status="pending",
        reason=reason,
        idempotency_key=key,
        created_at=now,
        updated_at=now,
    )
    db.add(refund)
    db.flush()
    answer = provider.refund(
        db,
        RefundRequest(
            refund_id=refund_id,
            attempt_id=attempt.id,
            provider_ref=attempt.provider_ref,
            amount_minor=amount,
            currency=attempt.currency,
            idempotency_key=key,
            reason=reason,
        ),
    )
    refund.provider_ref = answer.provider_ref
    refund.status = answer.status
    db.flush()
    if answer.status == "succeeded":
        apply_refunded(db, attempt, attempt.amount_refunded + amount, source="refund")
    return refund

"""Withdrawals of available commissions, and an operator's approval or rejection.

- ``request(db, user, amount, currency, payout_details, key)``: lock, check, do. The
  user's ``commissions_available`` is locked first, then the key and the balance are
  checked, then ONE posting ``commissions_available −a, withdrawals_pending +a`` and
  the ``Withdrawal`` row are written. Concurrent requests queue on that lock, so
  together they never take more than the balance (409 ``insufficient_funds``); the same
  key again answers the first request (another body with it: 422
  ``idempotency_key_reused``).
- ``decide(db, operator, id, approve=)``: the row is locked; approving pays it out
  (``withdrawals_pending −a, payouts +a``), rejecting puts it back
  (``withdrawals_pending −a, commissions_available +a``, first settling what the user
  owes on ``commissions_owed``). Deciding again the same way changes nothing; the other
  way is 409 ``withdrawal_decided``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.db.base import is_db_id, utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import Conflict, InvalidInput, NotFound
from relaycode.models import User, Withdrawal
from relaycode.money import MAX_MINOR, MoneyError, currency_code
from relaycode.notify.service import notify_user
from relaycode.payments import ledger
from relaycode.referrals.commission_common import credit_available, lock_user_accounts

KIND_REQUESTED = "withdrawal"
KIND_APPROVED = "payout"
KIND_REJECTED = "withdrawal_rejected"


@dataclass(frozen=True)
class Requested:
    withdrawal: Withdrawal
    created: bool  # False: the same idempotency key answered an earlier request


def _currency(currency: str) -> str:
    try:
        return currency_code(currency)
    except MoneyError:
        raise InvalidInput(f"unknown currency {currency!r}", code="unknown_currency") from None


def by_key(db: Session, user_id: int, key: str) -> Withdrawal | None:
    q = select(Withdrawal).where(Withdrawal.user_id == user_id, Withdrawal.idempotency_key == key)
    return db.scalar(q)


def request(
    db: Session,
    user: User,
    amount_minor: int,
    currency: str,
    payout_details: str,
    idempotency_key: str,
) -> Requested:
    if isinstance(amount_minor, bool) or not 1 <= amount_minor <= MAX_MINOR:
        raise InvalidInput(f"a withdrawal is 1 to {MAX_MINOR} minor units", code="invalid_amount")
    code = _currency(currency)
    lock_user_accounts(db, user.id, code, "commissions_available", "withdrawals_pending")
    earlier = by_key(db, user.id, idempotency_key)
    if earlier is not None:
        same = (earlier.amount_minor, earlier.currency, earlier.payout_details)
        if same != (amount_minor, code, payout_details):
            raise ledger.IdempotencyKeyReused("this idempotency key was used for another request")
        return Requested(earlier, created=False)
    available = ledger.account(db, "commissions_available", code, user_id=user.id)
    if available.balance_minor < amount_minor:
        raise ledger.InsufficientFunds(
            "your available commissions do not cover this",
            details={"currency": code, "available_minor": available.balance_minor},
        )
    w = Withdrawal(
        user_id=user.id,
        amount_minor=amount_minor,
        currency=code,
        status="requested",
        payout_details=payout_details,
        idempotency_key=idempotency_key,
        created_at=utcnow(),
    )
    db.add(w)
    db.flush()
    held = ledger.account(db, "withdrawals_pending", code, user_id=user.id)
    ledger.post(
        db,
        kind=KIND_REQUESTED,
        lines=[(available, -amount_minor), (held, amount_minor)],
        reference=("withdrawal", w.id),
        idempotency_key=f"withdrawal:{w.id}:request",
    )
    return Requested(w, created=True)


def decide(
    db: Session, operator: User, withdrawal_id: int, *, approve: bool, note: str | None = None
) -> Withdrawal:
    w = get_for_update(db, Withdrawal, withdrawal_id) if is_db_id(withdrawal_id) else None
    if w is None:
        raise NotFound("no such withdrawal", code="withdrawal_not_found")
    target = "approved" if approve else "rejected"
    if w.status == target:
        return w
    if w.status != "requested":
        raise Conflict(f"this withdrawal was already {w.status}", code="withdrawal_decided")
    lock_user_accounts(db, w.user_id, w.currency, "withdrawals_pending", "commissions_available")
    held = ledger.account(db, "withdrawals_pending", w.currency, user_id=w.user_id)
    if approve:
        payouts = ledger.account(db, "payouts", w.currency)
        lines = [(held, -w.amount_minor), (payouts, w.amount_minor)]
    else:
        lines = [
            (held, -w.amount_minor),
            *credit_available(db, w.user_id, w.currency, w.amount_minor),
        ]
    ledger.post(
        db,
        kind=KIND_APPROVED if approve else KIND_REJECTED,
        lines=lines,
        reference=("withdrawal", w.id),
        idempotency_key=f"withdrawal:{w.id}:{target}",
    )
    w.status, w.decided_by_user_id, w.decided_at = target, operator.id, utcnow()
    w.note = note
    db.flush()
    notify_user(
        db,
        w.user_id,
        f"withdrawal_{target}",
        {"amount_minor": w.amount_minor, "currency": w.currency, "url": "/wallet"},
        dedupe_key=f"withdrawal_{target}:{w.id}",
    )
    return w

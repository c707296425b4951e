"""What recording, reversing and releasing commissions share: where a commission's
money is held, and how it is described to webhooks and to the inbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from relaycode.db.locking import get_many_for_update
from relaycode.models import Commission, LedgerAccount, Order
from relaycode.payments import ledger


def account_of(db: Session, c: Commission, kind: str) -> LedgerAccount:
    """The account holding ``c``'s money in ``kind`` ("pending"/"available"/"owed")."""
    if c.beneficiary == "platform":
        return ledger.account(db, "platform_revenue", c.currency)
    return ledger.account(db, f"commissions_{kind}", c.currency, user_id=c.user_id)


def event_data(c: Commission, order: Order, **extra: Any) -> dict[str, Any]:
    """A commission as webhooks describe it (no referrer's personal data)."""
    return {
        "commission_id": c.id,
        "order_id": order.id,
        "offer_id": order.offer_id,
        "level": c.level,
        "beneficiary": c.beneficiary,
        "code_id": c.code_id,
        "amount_minor": c.amount_minor,
        "reversed_minor": c.reversed_minor,
        "currency": c.currency,
        "status": c.status,
        "available_at": c.available_at.isoformat() if c.available_at else None,
        **extra,
    }


def inbox_data(c: Commission, order: Order, title: str, amount: int) -> dict[str, Any]:
    return {
        "amount_minor": amount,
        "currency": c.currency,
        "order_id": order.id,
        "offer_title": title[:120],
        "level": c.level,
        "url": "/wallet",
    }


def credit_available(
    db: Session, user_id: int, currency: str, amount: int
) -> list[tuple[LedgerAccount, int]]:
    """The lines that credit ``amount`` to the user's available commissions, first
    settling what they owe (``commissions_owed`` below zero). Lock both accounts
    (``lock_user_accounts``) before calling: the balance read here must stay true."""
    available = ledger.account(db, "commissions_available", currency, user_id=user_id)
    owed = ledger.find_account(db, "commissions_owed", currency, user_id=user_id)
    settle = min(amount, -owed.balance_minor) if owed is not None and owed.balance_minor < 0 else 0
    lines: list[tuple[LedgerAccount, int]] = []
    if owed is not None and settle:
        lines.append((owed, settle))
    if amount - settle:
        lines.append((available, amount - settle))
    return lines


def user_account_ids(db: Session, user_id: int, currency: str, *kinds: str) -> list[int]:
    """The ids of the user's accounts of ``kinds`` (made if missing), and of their
    ``commissions_owed`` if they have one: what to lock before ``credit_available``."""
    ids = [ledger.account(db, k, currency, user_id=user_id).id for k in sorted(kinds)]
    owed = ledger.find_account(db, "commissions_owed", currency, user_id=user_id)
    if owed is not None:
        ids.append(owed.id)
    return ids


def lock_user_accounts(db: Session, user_id: int, currency: str, *kinds: str) -> None:
    """Lock ``user_account_ids`` in primary-key order."""
    get_many_for_update(db, LedgerAccount, user_account_ids(db, user_id, currency, *kinds))

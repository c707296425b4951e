"""Commissions as ledger entries (S685, [0097], [0100]): earned when an order is paid,
reversed in proportion when it is refunded, released when the hold period ends.

What the orders slice calls, in its own transaction (services never commit):

- ``record_for_order(db, order, operator_max_depth=, now=)`` right after the order
  became paid (the merchant account holds the proceeds). One ledger transaction
  ``merchant −total, commissions_pending(referrer) +c …, platform_revenue +p``
  (key ``order:<id>:commission``); one ``Commission`` row per split and per blocked
  referrer. A second call returns the rows of the first and moves nothing.
- ``reverse_for_refund(db, order, refund=, refunded_before_minor=)`` for each refund,
  **before** the refund's own posting takes the money from the merchant account (the
  reversal is what lets a merchant that has paid commissions cover a full refund).
  Key ``order:<id>:refund:<refund id>:commission``; once per refund.
- ``release_due(db, now=)`` (commission_release.py): pending → available.

Where a reversal takes the money from, docs/commissions.md: the commission's pending
balance while on hold; once released, the referrer's available balance, and what they
already withdrew is recorded on ``commissions_owed`` (which may go negative) and
settled from their next released commissions. No account that must not go negative
ever does; the merchant is always given back the full reversal.

The caller holds the order's row lock; the unique (order, level, beneficiary) of the
commissions and the ledger key make a twin call fail or do nothing, never pay twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.db.locking import get_many_for_update
from relaycode.models import (
    Commission,
    LedgerAccount,
    LedgerTransaction,
    Offer,
    Order,
    OrderRefund,
    User,
)
from relaycode.notify.service import emit, notify_user
from relaycode.payments import ledger
from relaycode.referrals.commission_common import account_of, event_data, inbox_data
from relaycode.referrals.commission_math import (
    Blocked,
    Referrer,
    SaleFacts,
    Split,
    compute_commissions,
    refund_reversals,
)
from relaycode.referrals.commission_release import release_due
from relaycode.referrals.commission_rules import effective_rules

__all__ = ["record_for_order", "release_due", "reverse_for_refund"]

KIND_EARNED = "commission"  # ledger transaction kinds
KIND_REVERSED = "commission_reversal"
PAID_STATUSES = ("paid", "fulfilled", "partially_refunded", "refunded")
# No account is closed today (users have no such state); a user kind of this name is
# the hook for it, so a closed referrer's level is blocked with ``account_closed``.
CLOSED_USER_KINDS = ("closed",)


def order_key(order_id: int) -> str:
    return f"order:{order_id}:commission"


def refund_key(order_id: int, refund_id: int) -> str:
    return f"order:{order_id}:refund:{refund_id}:commission"


def of_order(db: Session, order_id: int) -> list[Commission]:
    """An order's commissions: platform (level 0) first, then by level."""
    q = select(Commission).where(Commission.order_id == order_id)
    return list(db.scalars(q.order_by(Commission.level, Commission.id)))


# ---- facts of the sale --------------------------------------------------------------


def _chain(db: Session, order: Order) -> list[tuple[Referrer, str | None]]:
    """The order's referrer chain as the pure module's ``Referrer`` + the code shared."""
    entries = [e for e in order.referrer_chain or [] if isinstance(e, dict)]
    ids = {int(e["user_id"]) for e in entries if e.get("user_id") is not None}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    out: list[tuple[Referrer, str | None]] = []
    for entry in entries:
        uid = int(entry["user_id"])
        device = entry.get("device_id")
        user = users.get(uid)
        closed = user is None or user.kind in CLOSED_USER_KINDS
        devices = frozenset({int(device)}) if device is not None else frozenset()
        code = entry.get("code_id")
        out.append((Referrer(uid, devices, closed), str(code) if code else None))
    return out


def _first_purchase(db: Session, order: Order) -> bool:
    """No other paid order of this buyer at this merchant placed before this one."""
    q = select(Order.id).where(
        Order.buyer_user_id == order.buyer_user_id,
        Order.merchant_id == order.merchant_id,
        Order.id != order.id,
        Order.paid_at.is_not(None),
        Order.created_at <= order.created_at,
    )
    return db.scalar(q.limit(1)) is None


def sale_facts(db: Session, order: Order) -> SaleFacts:
    # The orders slice applied the attribution window when it chose the chain: the
    # touch is "now" (touched_at None), so the window is not applied a second time.
    devices = frozenset({order.buyer_device_id}) if order.buyer_device_id else frozenset()
    return SaleFacts(
        amount_minor=order.amount_minor,
        currency=order.currency,
        buyer_user_id=order.buyer_user_id,
        buyer_devices=devices,
        first_purchase=_first_purchase(db, order),
        ordered_at=order.created_at,
    )


# ---- recording ----------------------------------------------------------------------


def _row(order: Order, level: int, kind: str, user_id: int | None, code: str | None) -> Commission:
    return Commission(
        order_id=order.id,
        level=level,
        beneficiary="platform" if kind == "platform" else "user",
        user_id=user_id,
        code_id=code,
        currency=order.currency,
        reversed_minor=0,
    )


def _rows(
    order: Order,
    splits: Sequence[Split],
    blocked: Sequence[Blocked],
    codes: dict[int, str | None],
    now: datetime,
    hold: timedelta,
) -> list[Commission]:
    rows: list[Commission] = []
    platform_code = order.attributed_code_id or order.code_id
    for s in splits:
        if s.amount_minor <= 0:
            continue  # a rule that gives nothing on this amount: no commission at all
        code = platform_code if s.beneficiary == "platform" else codes.get(s.level)
        row = _row(order, s.level, s.beneficiary, s.user_id, code)
        row.amount_minor, row.created_at, row.updated_at = s.amount_minor, now, now
        # The platform's share is revenue at once ([0100]); a referrer's waits out the hold.
        platform = s.beneficiary == "platform"
        row.status = "available" if platform else "pending"
        row.available_at = now if platform else now + hold
        rows.append(row)
    for b in blocked:
        code = platform_code if b.beneficiary == "platform" else codes.get(b.level)
        row = _row(order, b.level, b.beneficiary, b.user_id, code)
        row.amount_minor, row.status, row.blocked_reason = 0, "blocked", b.reason
        row.created_at = row.updated_at = now
        rows.append(row)
    return sorted(rows, key=lambda r: (r.level, r.beneficiary))


def _post_earned(db: Session, order: Order, earned: list[Commission]) -> None:
    total = sum(c.amount_minor for c in earned)
    if total == 0:
        return
    # Accounts made in a fixed order (merchant, referrers by id, platform): two
    # commissions creating the same new accounts never deadlock.
    merchant = ledger.account(db, "merchant", order.currency, merchant_id=order.merchant_id)
    ordered = sorted(earned, key=lambda c: (c.beneficiary == "platform", c.user_id or 0))
    lines = [(merchant, -total)] + [(account_of(db, c, "pending"), c.amount_minor) for c in ordered]
    ledger.post(
        db,
        kind=KIND_EARNED,
        lines=lines,
        reference=("order", order.id),
        idempotency_key=order_key(order.id),
    )


def _announce_earned(db: Session, order: Order, earned: list[Commission]) -> None:
    offer = db.get(Offer, order.offer_id)
    title = offer.title if offer is not None else ""
    for c in earned:
        if c.user_id is not None:
            notify_user(
                db,
                c.user_id,
                "commission_earned",
                inbox_data(c, order, title, c.amount_minor),
                dedupe_key=f"commission_earned:{c.id}",
            )
        emit(
            db,
            merchant_id=order.merchant_id,
            event_type="commission.created",
            data=event_data(c, order),
            event_id=f"commission.created:{c.id}",
        )


def record_for_order(
    db: Session, order: Order, *, operator_max_depth: int, now: datetime
) -> list[Commission]:
    """Pay ``order``'s referrers (and the platform) by the offer's rules in force now.

    Idempotent: an order that has commissions gets them back unchanged."""
    existing = of_order(db, order.id)
    if existing:
        return existing
    offer = db.get(Offer, order.offer_id)
    if offer is None:  # RESTRICT keeps it; a programming error otherwise
        raise ValueError(f"order {order.id} names no offer")
    rules = effective_rules(db, offer, operator_max_depth=operator_max_depth)
    chain = _chain(db, order)
    result = compute_commissions(sale_facts(db, order), [r for r, _ in chain], rules)
    codes = {level: code for level, (_, code) in enumerate(chain, start=1)}
    rows = _rows(order, result.splits, result.blocked, codes, now, timedelta(rules.hold_days))
    if not rows:
        return []
    db.add_all(rows)
    db.flush()
    earned = [c for c in rows if c.status != "blocked"]
    _post_earned(db, order, earned)
    _announce_earned(db, order, earned)
    return rows


# ---- reversing ----------------------------------------------------------------------


def _take(
    db: Session, c: Commission, amount: int, lines: dict[int, tuple[LedgerAccount, int]]
) -> None:
    """Add to ``lines`` where ``amount`` of ``c`` comes back from (see the module doc)."""
    source = account_of(db, c, "pending" if c.status == "pending" else "available")
    held = lines.get(source.id, (source, 0))[1]
    covered = min(amount, max(0, source.balance_minor + held))
    if c.beneficiary == "platform":
        covered = amount  # platform revenue is never paid out: it covers; else refused
    if covered:
        lines[source.id] = (source, held - covered)
    short = amount - covered
    if short:
        owed = account_of(db, c, "owed")
        lines[owed.id] = (owed, lines.get(owed.id, (owed, 0))[1] - short)


def _lock_accounts(db: Session, order: Order, rows: Sequence[Commission]) -> None:
    """Every account the reversal may touch, locked before their balances are read: a
    withdrawal racing it waits, so what is read stays true. The merchant's account
    first (as a payment and the refund's own posting take it: merchant before the
    referrers' accounts, so no two of them ever wait on each other in a circle), then
    the referrers' in primary-key order."""
    merchant = ledger.account(db, "merchant", order.currency, merchant_id=order.merchant_id)
    get_many_for_update(db, LedgerAccount, [merchant.id])
    accounts: list[LedgerAccount] = []
    for c in sorted(rows, key=lambda c: (c.beneficiary == "platform", c.user_id or 0)):
        accounts.append(account_of(db, c, "pending" if c.status == "pending" else "available"))
        if c.beneficiary == "user":
            accounts.append(account_of(db, c, "owed"))
    get_many_for_update(db, LedgerAccount, [a.id for a in accounts])


def reverse_for_refund(
    db: Session, order: Order, *, refund: OrderRefund, refunded_before_minor: int
) -> list[Commission]:
    """Take ``refund``'s share of every commission of ``order`` back to the merchant.

    ``refunded_before_minor``: what earlier refunds of the order came to. Proportional
    (``refund_reversals``): after refunds of the whole amount every commission is
    reversed exactly. Returns the commissions that were reversed (now or, when asked
    again for the same refund, then)."""
    key = refund_key(order.id, refund.id)
    all_rows = [c for c in of_order(db, order.id) if c.status != "blocked"]
    done = db.scalar(select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == key))
    if done is not None or not all_rows:
        return [c for c in all_rows if c.reversed_minor > 0] if done is not None else []
    rows = get_many_for_update(db, Commission, [c.id for c in all_rows])  # vs release_due
    rows.sort(key=lambda c: (c.level, c.beneficiary))
    amounts = refund_reversals(
        [c.amount_minor for c in rows],
        order.amount_minor,
        refunded_before_minor,
        refund.amount_minor,
    )
    taken = [
        (c, min(r, c.amount_minor - c.reversed_minor)) for c, r in zip(rows, amounts, strict=True)
    ]
    taken = [(c, r) for c, r in taken if r > 0]
    if not taken:
        return []
    _lock_accounts(db, order, [c for c, _ in taken])
    lines: dict[int, tuple[LedgerAccount, int]] = {}
    for c, r in taken:
        _take(db, c, r, lines)
    total = sum(r for _, r in taken)
    merchant = ledger.account(db, "merchant", order.currency, merchant_id=order.merchant_id)
    posting = [(merchant, total), *(line for line in lines.values() if line[1])]
    ledger.post(
        db, kind=KIND_REVERSED, lines=posting, reference=("order_refund", refund.id),
        idempotency_key=key,
    )  # fmt: skip
    _apply_reversals(db, order, refund, taken)
    return [c for c, _ in taken]


def _apply_reversals(
    db: Session, order: Order, refund: OrderRefund, taken: Sequence[tuple[Commission, int]]
) -> None:
    offer = db.get(Offer, order.offer_id)
    title = offer.title if offer is not None else ""
    now = utcnow()
    for c, r in taken:
        c.reversed_minor += r
        if c.reversed_minor >= c.amount_minor:
            c.status = "reversed"
        c.updated_at = now
        db.flush()
        if c.user_id is not None:
            notify_user(
                db,
                c.user_id,
                "commission_reversed",
                inbox_data(c, order, title, r),
                dedupe_key=f"commission_reversed:{c.id}:{refund.id}",
            )
        emit(
            db,
            merchant_id=order.merchant_id,
            event_type="commission.reversed",
            data=event_data(c, order, refund_id=refund.id, reversed_now_minor=r),
            event_id=f"commission.reversed:{c.id}:{refund.id}",
        )

"""Commission rules in the database: a merchant's default, an offer's own override, and
the rules in force for an offer (``effective_rules``), as the pure ``CommissionRules``.

Changes are lock-then-check-then-do (db/locking.py): the merchant's row (for its
default) or the offer's row (for an override) is locked first, so the first rules of a
merchant are created once however many requests race, then the rules row is re-read,
its ``version`` compared with the caller's ``If-Match``, and only then written. A rules
set that does not exist yet has version 0. Services flush, never commit.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import Conflict, InvalidInput, NotFound
from relaycode.merchants.service import lock_merchant
from relaycode.models import Merchant, MerchantCommissionRules, Offer, OfferCommissionRules
from relaycode.referrals.commission_checks import rule_problems
from relaycode.referrals.commission_math import CommissionRules, LevelRule

Source = Literal["offer", "merchant", "none"]
RuleRow = MerchantCommissionRules | OfferCommissionRules


def default_rules(currency: str, *, operator_max_depth: int) -> CommissionRules:
    """What an offer has before anyone set rules: nobody earns anything."""
    return CommissionRules(currency=currency, operator_max_depth=operator_max_depth)


def to_rules(row: RuleRow, *, operator_max_depth: int) -> CommissionRules:
    levels = tuple(
        LevelRule(int(lv.get("percent_bp", 0)), int(lv.get("fixed_minor", 0)))
        for lv in row.levels or []
    )
    return CommissionRules(
        currency=row.currency,
        levels=levels,
        max_depth=row.max_depth,
        operator_max_depth=operator_max_depth,
        cap_minor=row.cap_minor,
        min_order_minor=row.min_order_minor,
        first_purchase_only=row.first_purchase_only,
        window_days=row.window_days,
        bind_mode="first_touch" if row.bind_mode == "first_touch" else "last_touch",
        hold_days=row.hold_days,
        platform=LevelRule(row.platform_percent_bp, row.platform_fixed_minor),
    )


def _write(row: RuleRow, rules: CommissionRules) -> None:
    row.currency = rules.currency
    row.levels = [{"percent_bp": r.percent_bp, "fixed_minor": r.fixed_minor} for r in rules.levels]
    row.max_depth = rules.max_depth
    row.cap_minor = rules.cap_minor
    row.min_order_minor = rules.min_order_minor
    row.first_purchase_only = rules.first_purchase_only
    row.window_days = rules.window_days
    row.bind_mode = rules.bind_mode
    row.hold_days = rules.hold_days
    row.platform_percent_bp = rules.platform.percent_bp
    row.platform_fixed_minor = rules.platform.fixed_minor
    row.updated_at = utcnow()


def check_rules(rules: CommissionRules) -> None:
    """422 with the first problem's code, all of them in ``details.problems``."""
    problems = rule_problems(rules)
    if problems:
        details: dict[str, Any] = {
            "problems": [{"loc": ["body", *p.field.split(".")], "code": p.code} for p in problems]
        }
        raise InvalidInput(
            "these commission rules cannot be used", code=problems[0].code, details=details
        )


def _check_version(current: int, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != current:
        raise Conflict("the rules changed since you loaded them", code="version_conflict")


def merchant_row(db: Session, merchant_id: int) -> MerchantCommissionRules | None:
    return db.get(MerchantCommissionRules, merchant_id)


def offer_row(db: Session, offer_id: int) -> OfferCommissionRules | None:
    return db.get(OfferCommissionRules, offer_id)


def version_of(row: RuleRow | None) -> int:
    return row.version if row is not None else 0


def load_effective(
    db: Session, offer: Offer, *, operator_max_depth: int
) -> tuple[CommissionRules, Source]:
    """The rules in force for ``offer`` and where they come from."""
    own = offer_row(db, offer.id)
    if own is not None and own.overriding:
        return to_rules(own, operator_max_depth=operator_max_depth), "offer"
    default = merchant_row(db, offer.merchant_id)
    if default is not None:
        return to_rules(default, operator_max_depth=operator_max_depth), "merchant"
    return default_rules(offer.currency, operator_max_depth=operator_max_depth), "none"


def effective_rules(db: Session, offer: Offer, *, operator_max_depth: int) -> CommissionRules:
    """The rules the sale of ``offer`` is paid by: its own, else its merchant's, else none
    (nobody earns). ``operator_max_depth`` is ``Settings.commission_max_depth``."""
    return load_effective(db, offer, operator_max_depth=operator_max_depth)[0]


def set_merchant_rules(
    db: Session, merchant: Merchant, rules: CommissionRules, *, expected_version: int | None
) -> MerchantCommissionRules:
    check_rules(rules)
    lock_merchant(db, merchant)
    row = get_for_update(db, MerchantCommissionRules, merchant.id)
    _check_version(version_of(row), expected_version)
    if row is None:
        row = MerchantCommissionRules(merchant_id=merchant.id, version=0)
        db.add(row)
    _write(row, rules)
    row.version += 1
    db.flush()
    return row


def _lock_offer(db: Session, offer: Offer) -> OfferCommissionRules | None:
    locked = get_for_update(db, Offer, offer.id)
    if locked is None:
        raise NotFound("no such offer", code="offer_not_found")
    if locked.status == "archived":
        raise Conflict("archived offers cannot be edited", code="offer_archived")
    return get_for_update(db, OfferCommissionRules, offer.id)


def set_offer_rules(
    db: Session, offer: Offer, rules: CommissionRules, *, expected_version: int | None
) -> OfferCommissionRules:
    """Give ``offer`` rules of its own, in place of its merchant's."""
    check_rules(rules)
    row = _lock_offer(db, offer)
    _check_version(version_of(row), expected_version)
    if row is None:
        row = OfferCommissionRules(offer_id=offer.id, merchant_id=offer.merchant_id, version=0)
        db.add(row)
    _write(row, rules)
    row.overriding = True
    row.version += 1
    db.flush()
    return row


def clear_offer_rules(
    db: Session, offer: Offer, *, expected_version: int | None
) -> OfferCommissionRules | None:
    """Back to the merchant's rules. The row stays (not overriding) so that its version
    keeps counting; without one there is nothing to do."""
    row = _lock_offer(db, offer)
    _check_version(version_of(row), expected_version)
    if row is None or not row.overriding:
        return row
    row.overriding = False
    row.version += 1
    row.updated_at = utcnow()
    db.flush()
    return row

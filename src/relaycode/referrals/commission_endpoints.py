"""HTTP for commission rules: a merchant's default and an offer's own (owners, operators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from sqlalchemy.orm import Session

from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.merchants.deps import OfferAccess, merchant_access, offer_access
from relaycode.merchants.service import OWNERS
from relaycode.models import Merchant, Offer
from relaycode.referrals import commission_rules as service
from relaycode.referrals.commission_schemas import (
    CommissionRulesIn,
    MerchantRulesOut,
    OfferRulesOut,
    RulesOut,
)

router = APIRouter(tags=["commissions"])

READ_SCOPE = "commissions:read"
WRITE_SCOPE = "commissions:write"
RulesReader = Annotated[Merchant, Depends(merchant_access(OWNERS, READ_SCOPE, readonly=True))]
RulesWriter = Annotated[Merchant, Depends(merchant_access(OWNERS, WRITE_SCOPE))]
OfferRulesReader = Annotated[OfferAccess, Depends(offer_access(OWNERS, READ_SCOPE, readonly=True))]
OfferRulesWriter = Annotated[OfferAccess, Depends(offer_access(OWNERS, WRITE_SCOPE))]
IfMatch = Annotated[int | None, Header()]


def merchant_out(db: Session, merchant: Merchant, operator_max_depth: int) -> MerchantRulesOut:
    row = service.merchant_row(db, merchant.id)
    rules = (
        service.to_rules(row, operator_max_depth=operator_max_depth)
        if row is not None
        else service.default_rules("CNY", operator_max_depth=operator_max_depth)
    )
    return MerchantRulesOut(
        merchant=merchant.slug,
        configured=row is not None,
        version=service.version_of(row),
        updated_at=row.updated_at if row is not None else None,
        rules=RulesOut.of(rules),
    )


def offer_out(db: Session, offer: Offer, operator_max_depth: int) -> OfferRulesOut:
    row = service.offer_row(db, offer.id)
    effective, source = service.load_effective(db, offer, operator_max_depth=operator_max_depth)
    own = (
        RulesOut.of(service.to_rules(row, operator_max_depth=operator_max_depth))
        if row is not None and row.overriding
        else None
    )
    return OfferRulesOut(
        offer_id=offer.id,
        source=source,
        version=service.version_of(row),
        override=own,
        effective=RulesOut.of(effective),
    )


@router.get("/merchants/{slug}/commission-rules")
def get_merchant_rules(merchant: RulesReader, db: ReadDbDep, state: StateDep) -> MerchantRulesOut:
    """The merchant's default commission rules (before the first save: none, version 0)."""
    return merchant_out(db, merchant, state.settings.commission_max_depth)


@router.put("/merchants/{slug}/commission-rules")
def put_merchant_rules(
    data: CommissionRulesIn,
    merchant: RulesWriter,
    db: DbDep,
    state: StateDep,
    if_match: IfMatch = None,
) -> MerchantRulesOut:
    """Replace the merchant's default commission rules.

    Send ``If-Match: <version>`` (0 before the first save) to refuse the change (409) if
    they changed since. Rules that cannot be used are a 422 whose code names the first
    problem (``percent_out_of_range``, ``percent_total_over_100``, ``max_depth_over_cap``,
    ``too_many_levels``, ``amount_out_of_range``, ``window_out_of_range``,
    ``hold_out_of_range``, ``max_depth_out_of_range``), all listed in ``details.problems``."""
    depth = state.settings.commission_max_depth
    rules = data.to_rules(operator_max_depth=depth)
    service.set_merchant_rules(db, merchant, rules, expected_version=if_match)
    return merchant_out(db, merchant, depth)


@router.get("/offers/{offer_id}/commission-rules")
def get_offer_rules(access: OfferRulesReader, db: ReadDbDep, state: StateDep) -> OfferRulesOut:
    """The offer's own commission rules, if any, and the rules in force for it."""
    return offer_out(db, access.offer, state.settings.commission_max_depth)


@router.put("/offers/{offer_id}/commission-rules")
def put_offer_rules(
    data: CommissionRulesIn,
    access: OfferRulesWriter,
    db: DbDep,
    state: StateDep,
    if_match: IfMatch = None,
) -> OfferRulesOut:
    """Give the offer rules of its own, in place of the merchant's (checked as those are;
    ``If-Match`` as there, 409 ``offer_archived`` for an archived offer)."""
    depth = state.settings.commission_max_depth
    rules = data.to_rules(operator_max_depth=depth)
    service.set_offer_rules(db, access.offer, rules, expected_version=if_match)
    return offer_out(db, access.offer, depth)


@router.delete("/offers/{offer_id}/commission-rules")
def delete_offer_rules(
    access: OfferRulesWriter, db: DbDep, state: StateDep, if_match: IfMatch = None
) -> OfferRulesOut:
    """Back to the merchant's rules (the answer says what is in force now)."""
    service.clear_offer_rules(db, access.offer, expected_version=if_match)
    return offer_out(db, access.offer, state.settings.commission_max_depth)

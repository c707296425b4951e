"""HTTP for analytics (thin): a merchant's figures, an offer's, its referral tree, and a
referrer's own earnings; each also as CSV (``….csv``).

Merchants' figures are for their owners and staff (and operators); no merchant API key
carries ``analytics:read`` yet, so keys are refused. Periods are whole UTC days
(analytics/period.py).
"""

# No ``from __future__ import annotations``: FastAPI reads the dependency closures'
# signatures at runtime.

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.analytics import export, service
from relaycode.analytics.period import MAX_DAYS, Period, period_of
from relaycode.analytics.repository import Scope
from relaycode.analytics.schemas import (
    EarningsOut,
    Group,
    MerchantAnalyticsOut,
    OfferAnalyticsOut,
    TreeOut,
)
from relaycode.db.base import is_db_id
from relaycode.deps import ReadDbDep, get_read_db
from relaycode.errors import NotFound
from relaycode.identity.auth import Principal, UserDep, get_principal
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants.deps import OfferAccess, offer_access
from relaycode.merchants.service import EDITORS, authorize
from relaycode.models import Merchant

router = APIRouter(tags=["analytics"])
ANALYTICS_SCOPE = "analytics:read"  # no merchant API key has it (yet)

FromQuery = Annotated[
    date | None,
    Query(alias="from", description="First day (UTC, YYYY-MM-DD); default: `to` − 29 days"),
]
ToQuery = Annotated[
    date | None,
    Query(description=f"Last day, included (UTC); default today; at most {MAX_DAYS} days"),
]
GroupQuery = Annotated[Group, Query(description="What the `groups` are: one per …")]
GroupsLimit = Annotated[
    int, Query(ge=1, le=service.MAX_GROUPS, description="Groups at most (the busiest)")
]


def merchant_by_id(
    roles: tuple[str, ...], scope: str, principal: Callable[..., object] = get_principal
) -> Callable[..., Merchant]:
    """A dependency: the merchant ``{merchant_id}`` once the caller may read it."""

    def dep(
        merchant_id: int,
        who: Principal = Depends(principal),
        db: Session = Depends(get_read_db, scope="function"),
    ) -> Merchant:
        merchant = merchant_repo.merchant_by_id(db, merchant_id) if is_db_id(merchant_id) else None
        if merchant is None:
            raise NotFound("no such merchant", code="merchant_not_found")
        authorize(db, who, merchant, roles=roles, scope=scope)
        return merchant

    return dep


MerchantReader = Annotated[Merchant, Depends(merchant_by_id(EDITORS, ANALYTICS_SCOPE))]
OfferReader = Annotated[OfferAccess, Depends(offer_access(EDITORS, ANALYTICS_SCOPE, readonly=True))]


def _period(first: date | None, last: date | None) -> Period:
    return period_of(first, last)


@router.get("/merchants/{merchant_id}/analytics")
def merchant_analytics(
    merchant: MerchantReader,
    db: ReadDbDep,
    first: FromQuery = None,
    to: ToQuery = None,
    group: GroupQuery = "offer",
    limit: GroupsLimit = service.DEFAULT_GROUPS,
) -> MerchantAnalyticsOut:
    """The merchant's scans, unique scanners, orders, conversion, revenue and commissions
    over a period: totals, a daily series (UTC days), and one row per offer, code,
    channel or referrer (`group`), busiest first. Refusals: `invalid_range`,
    `range_too_long` (422)."""
    return service.merchant_analytics(db, merchant.id, _period(first, to), group, limit)


@router.get(
    "/merchants/{merchant_id}/analytics.csv", responses={200: {"content": {"text/csv": {}}}}
)
def merchant_analytics_csv(
    merchant: MerchantReader,
    db: ReadDbDep,
    first: FromQuery = None,
    to: ToQuery = None,
    group: GroupQuery = "offer",
) -> Response:
    """The groups of `…/analytics` as CSV, every one of them (up to 50 000)."""
    period = _period(first, to)
    rows, _ = service.groups(db, Scope(merchant_id=merchant.id), group, period,
                             service.CSV_GROUPS)  # fmt: skip
    body = export.table(rows, ("key", "label", "offer_id", "depth"))
    name = f"relaycode-merchant-{merchant.id}-{group}-{period.first}-{period.last}.csv"
    return export.csv_response(body, name)


@router.get("/offers/{offer_id}/analytics")
def offer_analytics(
    access: OfferReader, db: ReadDbDep, first: FromQuery = None, to: ToQuery = None
) -> OfferAnalyticsOut:
    """The offer's figures over a period: totals, a daily series, one row per channel."""
    return service.offer_analytics(db, access.offer, _period(first, to))


@router.get("/offers/{offer_id}/analytics.csv", responses={200: {"content": {"text/csv": {}}}})
def offer_analytics_csv(
    access: OfferReader, db: ReadDbDep, first: FromQuery = None, to: ToQuery = None
) -> Response:
    """The offer's daily series as CSV, one row per UTC day."""
    out = service.offer_analytics(db, access.offer, _period(first, to))
    body = export.table(out.series, ("day",))
    return export.csv_response(body, f"relaycode-offer-{access.offer.id}-{out.from_}-{out.to}.csv")


@router.get("/offers/{offer_id}/referral-tree")
def referral_tree(access: OfferReader, db: ReadDbDep) -> TreeOut:
    """Who shared the offer to whom: every code of the offer (its own codes are the
    roots, each share a child of the code it was made from) with all-time scans, orders,
    revenue and commissions; at most 5000 nodes, generation by generation (`truncated`)."""
    return service.referral_tree(db, access.offer)


@router.get("/offers/{offer_id}/referral-tree.csv", responses={200: {"content": {"text/csv": {}}}})
def referral_tree_csv(access: OfferReader, db: ReadDbDep) -> Response:
    """The referral tree's nodes as CSV."""
    tree = service.referral_tree(db, access.offer)
    cols = ("code_id", "parent_id", "depth", "kind", "channel", "status", "sharer")
    body = export.table(tree.nodes, cols, figures=("scans", "orders"))
    return export.csv_response(body, f"relaycode-offer-{access.offer.id}-tree.csv")


@router.get("/me/earnings")
def my_earnings(
    user: UserDep, db: ReadDbDep, first: FromQuery = None, to: ToQuery = None
) -> EarningsOut:
    """Your shares (newest 500) with their scans, unique scanners, orders, conversion,
    revenue and your commissions over a period; totals, a daily series, and all your
    commissions ever by status (pending, available, reversed, blocked)."""
    return service.my_earnings(db, user.id, _period(first, to))


@router.get("/me/earnings.csv", responses={200: {"content": {"text/csv": {}}}})
def my_earnings_csv(
    user: UserDep, db: ReadDbDep, first: FromQuery = None, to: ToQuery = None
) -> Response:
    """Your shares' figures over a period as CSV."""
    out = service.my_earnings(db, user.id, _period(first, to))
    cols = ("code_id", "offer_id", "offer_title", "channel", "depth", "status", "created_at")
    body = export.table(out.shares, cols)
    return export.csv_response(body, f"relaycode-earnings-{out.from_}-{out.to}.csv")

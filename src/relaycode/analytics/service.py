"""Analytics answers, put together from the grouped queries of ``repository``.

Every answer costs a fixed number of statements whatever its size: three per grouping
(scans, orders, commissions), plus one per kind of label (offer titles, sharer names,
codes) for the rows shown. Reads only; nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from relaycode.analytics import repository as repo
from relaycode.analytics.period import Period
from relaycode.analytics.repository import Key, Scope
from relaycode.analytics.schemas import (
    DayFigures,
    EarningsOut,
    Figures,
    Group,
    GroupFigures,
    MerchantAnalyticsOut,
    OfferAnalyticsOut,
    ShareEarnings,
    StatusTotal,
    TreeNode,
    TreeOut,
)
from relaycode.models import Offer

TREE_CAP = 5000  # nodes in one referral tree answer; beyond: ``truncated``
DEFAULT_GROUPS = 100
MAX_GROUPS = 1000
CSV_GROUPS = 50_000  # an export holds every group up to this
EARNINGS_SHARES = 500


@dataclass
class Acc:
    scans: int = 0
    unique: int = 0
    orders: int = 0
    revenue: dict[str, int] = field(default_factory=dict)
    commissions: dict[str, int] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        conversion = round(self.orders / self.unique, 4) if self.unique else None
        return {
            "scans": self.scans,
            "unique_scanners": self.unique,
            "orders": self.orders,
            "conversion": conversion,
            "revenue": dict(sorted(self.revenue.items())),
            "commissions": dict(sorted(self.commissions.items())),
        }

    @property
    def rank(self) -> tuple[int, int, int, int]:
        return (self.orders, sum(self.revenue.values()), self.scans, self.unique)


def collect(db: Session, scope: Scope, key: Key, period: Period | None) -> dict[Any, Acc]:
    """Every measure for every group of ``key`` (``day`` keys become dates)."""
    norm: Callable[[Any], Any] = repo.day_of if key == "day" else (lambda k: k)
    accs: dict[Any, Acc] = defaultdict(Acc)
    for k, n, u in repo.scans(db, scope, key, period):
        acc = accs[norm(k)]
        acc.scans, acc.unique = n, u
    for k, currency, n, revenue in repo.orders(db, scope, key, period):
        acc = accs[norm(k)]
        acc.orders += n
        acc.revenue[currency] = acc.revenue.get(currency, 0) + revenue
    for k, currency, amount in repo.commissions(db, scope, key, period):
        acc = accs[norm(k)]
        acc.commissions[currency] = acc.commissions.get(currency, 0) + amount
    return accs


def totals(db: Session, scope: Scope, period: Period | None) -> Figures:
    return Figures(**collect(db, scope, "total", period).get(None, Acc()).figures())


def series(db: Session, scope: Scope, period: Period) -> list[DayFigures]:
    """One entry per day of the period, days without anything included (zeros)."""
    by_day = collect(db, scope, "day", period)
    return [DayFigures(day=d, **by_day.get(d, Acc()).figures()) for d in period.days]


def _ranked(accs: dict[Any, Acc], limit: int) -> tuple[list[tuple[Any, Acc]], bool]:
    ranked = sorted(accs.items(), key=lambda kv: (kv[1].rank, str(kv[0])), reverse=True)
    return ranked[:limit], len(ranked) > limit


def groups(
    db: Session, scope: Scope, group: Group, period: Period, limit: int
) -> tuple[list[GroupFigures], bool]:
    """The busiest ``limit`` groups (most orders, then revenue, then scans), labelled."""
    kept, truncated = _ranked(collect(db, scope, group, period), limit)
    keys = [k for k, _ in kept]
    labels: dict[Any, str | None] = {}
    extra: dict[Any, dict[str, Any]] = {}
    if group == "offer":
        labels.update(repo.offer_titles(db, keys))
    elif group == "channel":
        labels.update({k: k for k in keys})
    elif group == "referrer":
        labels.update(repo.sharer_names(db, keys))
    else:
        codes = repo.codes_by_id(db, keys)
        names = repo.sharer_names(db, (c.holder_user_id for c in codes.values()))
        for k, c in codes.items():
            holder = c.holder_user_id
            labels[k] = names.get(holder) if holder is not None else c.channel
            extra[k] = {"offer_id": c.offer_id, "depth": c.depth}
    out = [
        GroupFigures(key=k, label=labels.get(k), **extra.get(k, {}), **acc.figures())
        for k, acc in kept
    ]
    return out, truncated


def merchant_analytics(
    db: Session, merchant_id: int, period: Period, group: Group, limit: int = DEFAULT_GROUPS
) -> MerchantAnalyticsOut:
    scope = Scope(merchant_id=merchant_id)
    rows, truncated = groups(db, scope, group, period, limit)
    return MerchantAnalyticsOut(
        from_=period.first,
        to=period.last,
        merchant_id=merchant_id,
        group=group,
        totals=totals(db, scope, period),
        series=series(db, scope, period),
        groups=rows,
        truncated=truncated,
    )


def offer_analytics(db: Session, offer: Offer, period: Period) -> OfferAnalyticsOut:
    scope = Scope(offer_id=offer.id)
    channels, _ = groups(db, scope, "channel", period, MAX_GROUPS)
    return OfferAnalyticsOut(
        from_=period.first,
        to=period.last,
        offer_id=offer.id,
        totals=totals(db, scope, period),
        series=series(db, scope, period),
        channels=channels,
    )


def referral_tree(
    db: Session, offer: Offer, period: Period | None = None, cap: int = TREE_CAP
) -> TreeOut:
    """The offer's codes as a tree (parents always before their children), each with its
    figures; all time unless ``period`` is given."""
    codes = repo.offer_codes(db, offer.id, cap + 1)
    truncated = len(codes) > cap
    codes = codes[:cap]
    accs = collect(db, Scope(offer_id=offer.id), "code", period)
    names = repo.sharer_names(db, (c.holder_user_id for c in codes))
    nodes = []
    for c in codes:
        acc = accs.get(c.id, Acc())
        nodes.append(
            TreeNode(
                code_id=c.id,
                parent_id=c.parent_id,
                depth=c.depth,
                kind=c.kind,
                channel=c.channel,
                status=c.status,
                sharer=names.get(c.holder_user_id) if c.holder_user_id is not None else None,
                scans=acc.scans,
                orders=acc.orders,
                revenue=dict(sorted(acc.revenue.items())),
                commissions=dict(sorted(acc.commissions.items())),
            )
        )
    return TreeOut(offer_id=offer.id, nodes=nodes, truncated=truncated, cap=cap)


def status_totals(db: Session, user_id: int) -> list[StatusTotal]:
    rows = repo.commission_status_totals(db, user_id)
    order = {s: i for i, s in enumerate(("available", "pending", "reversed", "blocked"))}
    return [
        StatusTotal(
            status=s,
            currency=c,
            count=n,
            amount_minor=a,
            reversed_minor=r,
            net_minor=0 if s == "blocked" else a - r,
        )
        for s, c, n, a, r in sorted(rows, key=lambda row: (order.get(row[0], 9), row[1]))
    ]


def my_earnings(
    db: Session, user_id: int, period: Period, limit: int = EARNINGS_SHARES
) -> EarningsOut:
    """The referrer's own shares (newest first) with the same figures as a merchant's,
    their totals and daily series over ``period``, and their commissions by status."""
    scope = Scope(holder_user_id=user_id)
    shares = repo.shares_of(db, user_id, limit + 1)
    truncated = len(shares) > limit
    shares = shares[:limit]
    accs = collect(db, scope, "code", period)
    titles = repo.offer_titles(db, (s.offer_id for s in shares))
    rows = [
        ShareEarnings(
            code_id=s.id,
            offer_id=s.offer_id,
            offer_title=titles.get(s.offer_id) if s.offer_id is not None else None,
            depth=s.depth,
            channel=s.channel,
            status=s.status,
            created_at=s.created_at,
            **accs.get(s.id, Acc()).figures(),
        )
        for s in shares
    ]
    return EarningsOut(
        from_=period.first,
        to=period.last,
        totals=totals(db, scope, period),
        series=series(db, scope, period),
        shares=rows,
        truncated=truncated,
        commissions_by_status=status_totals(db, user_id),
    )


def money_columns(rows: Iterable[Figures | TreeNode]) -> list[str]:
    """The currencies present in ``rows``, for the CSV's per-currency columns."""
    found: set[str] = set()
    for r in rows:
        found |= set(r.revenue) | set(r.commissions)
    return sorted(found)

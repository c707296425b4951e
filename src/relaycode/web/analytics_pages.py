"""Pages of sales statistics: a merchant's analytics, an offer's referral tree, and a
referrer's own earnings. Charts are SVG drawn here (analytics/charts.py, tree_view.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from relaycode.analytics import service, tree_view
from relaycode.analytics.charts import Bar, Series, bar_chart, line_chart
from relaycode.analytics.endpoints import ANALYTICS_SCOPE
from relaycode.analytics.period import Period, period_of, today
from relaycode.analytics.repository import Scope
from relaycode.analytics.schemas import DayFigures, Group, TreeNode
from relaycode.deps import ReadDbDep
from relaycode.errors import InvalidInput
from relaycode.merchants.deps import OfferAccess, merchant_access, offer_access
from relaycode.merchants.service import EDITORS
from relaycode.models import Merchant
from relaycode.web import i18n
from relaycode.web.render import page, price_text
from relaycode.web.session import SignedInDep, device_key_missing, signed_in

router = APIRouter()
GROUPS: tuple[Group, ...] = ("offer", "code", "channel", "referrer")
PRESETS = (7, 30, 90, 365)
PAGE_GROUPS = 50

AnalyticsPage = Annotated[
    Merchant,
    Depends(merchant_access(EDITORS, ANALYTICS_SCOPE, readonly=True, principal=signed_in)),
]
TreePage = Annotated[
    OfferAccess,
    Depends(offer_access(EDITORS, ANALYTICS_SCOPE, readonly=True, principal=signed_in)),
]


def _date(request: Request, name: str) -> date | None:
    raw = (request.query_params.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("not a date (YYYY-MM-DD)", code="invalid_range") from None


def period_from(request: Request) -> Period:
    return period_of(_date(request, "from"), _date(request, "to"))


class Fmt:
    """Numbers and money for one page: the reader's language and number locale."""

    def __init__(self, request: Request) -> None:
        self.lang = i18n.pick_lang(request)
        self.t = i18n.Translator(self.lang)
        self.locale = i18n.number_locale(request, self.lang)

    def money(self, amounts: dict[str, int]) -> str:
        if not amounts:
            return "—"
        return " + ".join(price_text(v, cur, self.locale) for cur, v in sorted(amounts.items()))

    def percent(self, ratio: float | None) -> str:
        return "—" if ratio is None else f"{ratio * 100:.1f}%"

    def count(self, key: str, n: int) -> str:
        """``key`` with ``n``; English says "1 scan", not "1 scans" (``<key>_one``)."""
        one = key + "_one"
        return self.t(one if n == 1 and self.t.has(one) else key, n=n)

    def node_detail(self, n: tree_view.Node, *, revenue: bool = False) -> str:
        """A tree node's figures: scans, orders, commission (and revenue, if asked)."""
        parts = [self.count("analytics.n_scans", n.scans)]
        if n.orders or n.kind == "offer":
            parts.append(self.count("analytics.n_orders", n.orders))
        if n.revenue and (revenue or n.kind == "offer"):
            parts.append(self.money(n.revenue))
        if n.commissions:
            parts.append(self.t("analytics.commission_is", amount=self.money(n.commissions)))
        return " · ".join(parts)

    def list_detail(self, n: tree_view.Node) -> str:
        return self.node_detail(n, revenue=True)


def _presets(request: Request, period: Period) -> list[dict[str, Any]]:
    last = today()
    out = []
    for days in PRESETS:
        first = last - timedelta(days=days - 1)
        query = {k: v for k, v in request.query_params.items() if k not in ("from", "to", "lang")}
        query.update({"from": first.isoformat(), "to": last.isoformat()})
        current = (period.first, period.last) == (first, last)
        out.append({"days": days, "query": query, "current": current})
    return out


def _daily_charts(fmt: Fmt, days: list[DayFigures]) -> dict[str, Any]:
    t = fmt.t
    dates = [d.day for d in days]
    scans = line_chart(
        t("analytics.chart_scans"),
        dates,
        [Series(t("analytics.scans"), [d.scans for d in days], "s1"),
         Series(t("analytics.unique"), [d.unique_scanners for d in days], "s2")],
    )  # fmt: skip
    orders = line_chart(
        t("analytics.chart_orders"),
        dates,
        [Series(t("analytics.orders"), [d.orders for d in days], "s3")],
    )
    return {"scans_chart": scans, "orders_chart": orders}


@router.get("/dashboard/m/{slug}/analytics")
def merchant_analytics_page(
    request: Request, merchant: AnalyticsPage, db: ReadDbDep, principal: SignedInDep
) -> Response:
    period = period_from(request)
    group_raw = request.query_params.get("group") or "offer"
    if group_raw not in GROUPS:
        raise InvalidInput("unknown grouping", code="invalid_input")
    group: Group = GROUPS[GROUPS.index(group_raw)]
    fmt = Fmt(request)
    data = service.merchant_analytics(db, merchant.id, period, group, PAGE_GROUPS)
    channels, _ = service.groups(db, Scope(merchant_id=merchant.id), "channel", period, 12)
    channels.sort(key=lambda c: (c.scans, c.orders), reverse=True)
    bars = [Bar(c.label or fmt.t("analytics.no_channel"), c.scans,
                fmt.count("analytics.n_orders", c.orders)) for c in channels]  # fmt: skip
    context = {
        "user": principal.user,
        "merchant": merchant,
        "data": data,
        "group": group,
        "groups": GROUPS,
        "presets": _presets(request, period),
        "fmt": fmt,
        "channels_chart": bar_chart(fmt.t("analytics.chart_channels"), bars) if bars else None,
        "csv_query": {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "group": group,
        },
        **_daily_charts(fmt, data.series),
    }
    return page(request, "analytics.html", context)


def _sharer(fmt: Fmt, n: TreeNode) -> str:
    if n.kind != "share":
        channel = n.channel or fmt.t("analytics.no_channel")
        return fmt.t("analytics.offer_code", channel=channel)
    return n.sharer or fmt.t("analytics.device_sharer")


@router.get("/dashboard/offers/{offer_id}/tree")
def referral_tree_page(
    request: Request, access: TreePage, db: ReadDbDep, principal: SignedInDep
) -> Response:
    offer = access.offer
    fmt = Fmt(request)
    full = request.query_params.get("all") == "1"
    tree = service.referral_tree(db, offer)
    root = tree_view.build(offer.title, tree.nodes, lambda n: _sharer(fmt, n))
    more = lambda n: fmt.t("analytics.n_more", n=n)  # noqa: E731
    limits = {"max_children": 10_000, "max_quiet": 10_000, "max_depth": 10_000,
              "max_drawn": service.TREE_CAP + 1}  # fmt: skip
    lines = tree_view.rows(root, more, **(limits if full else {}))
    folded = any(line.node.kind == "more" for line in lines)
    context = {
        "user": principal.user,
        "offer": offer,
        "merchant": access.merchant,
        "tree": tree,
        "root": root,
        "fmt": fmt,
        "full": full,
        "folded": folded,
        "picture": tree_view.svg(lines, fmt.node_detail, fmt.t("analytics.tree_title")),
        "listing": tree_view.html_list(root, fmt.list_detail),
        "device_key_missing": device_key_missing(principal),
    }
    return page(request, "referral_tree.html", context)


@router.get("/me/earnings")
def my_earnings_page(request: Request, db: ReadDbDep, principal: SignedInDep) -> Response:
    user = principal.signed_in_user()
    period = period_from(request)
    fmt = Fmt(request)
    data = service.my_earnings(db, user.id, period)
    context = {
        "user": user,
        "data": data,
        "fmt": fmt,
        "presets": _presets(request, period),
        "csv_query": {"from": period.first.isoformat(), "to": period.last.isoformat()},
        "device_key_missing": device_key_missing(principal),
        **_daily_charts(fmt, data.series),
    }
    return page(request, "my_earnings.html", context)

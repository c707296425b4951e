"""What the analytics routes answer. Money is ``{currency: minor units}``: a merchant may
sell in several currencies, and amounts in different ones are never added up."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

Group = Literal["offer", "code", "channel", "referrer"]
Money = dict[str, int]


class Figures(BaseModel):
    scans: int = Field(
        description="Scans and link opens, bots and the merchant's staff not counted"
    )
    unique_scanners: int = Field(
        description="Distinct users, else devices, else anonymous browsers (user agent)"
    )
    orders: int = Field(description="Paid orders (also those refunded later)")
    conversion: float | None = Field(description="orders / unique_scanners; null without scanners")
    revenue: Money = Field(description="Amount paid minus refunded, per currency, minor units")
    commissions: Money = Field(
        description="Commissions earned minus reversed, blocked ones left out, per currency"
    )


class DayFigures(Figures):
    day: date


class GroupFigures(Figures):
    key: str | int | None = Field(
        description="The offer id, code id, channel or referrer's user id; "
        "null: no channel, or no referrer (the merchant's own codes, the platform)"
    )
    label: str | None = Field(description="Offer title, channel, or the sharer's display name")
    offer_id: int | None = None
    depth: int | None = None


class Window(BaseModel):
    from_: date = Field(serialization_alias="from")
    to: date
    timezone: Literal["UTC"] = "UTC"


class MerchantAnalyticsOut(Window):
    merchant_id: int
    group: Group
    totals: Figures
    series: list[DayFigures]
    groups: list[GroupFigures]
    truncated: bool = Field(description="More groups than `limit`: the busiest are shown")


class OfferAnalyticsOut(Window):
    offer_id: int
    totals: Figures
    series: list[DayFigures]
    channels: list[GroupFigures]


class TreeNode(BaseModel):
    code_id: str
    parent_id: str | None = Field(description="null for the offer's own codes (the roots)")
    depth: int
    kind: str
    channel: str | None
    status: str
    sharer: str | None = Field(description="Display name, else username; never a phone")
    scans: int
    orders: int
    revenue: Money
    commissions: Money


class TreeOut(BaseModel):
    offer_id: int
    nodes: list[TreeNode]
    truncated: bool = Field(description="The offer has more codes than `cap`")
    cap: int


class ShareEarnings(Figures):
    code_id: str
    offer_id: int | None
    offer_title: str | None
    depth: int
    channel: str | None
    status: str
    created_at: datetime


class StatusTotal(BaseModel):
    status: str
    currency: str
    count: int
    amount_minor: int
    reversed_minor: int
    net_minor: int


class EarningsOut(Window):
    totals: Figures
    series: list[DayFigures]
    shares: list[ShareEarnings]
    truncated: bool = Field(description="More shares than `limit`: the newest are shown")
    commissions_by_status: list[StatusTotal] = Field(
        description="All your commissions ever, by status and currency (not only the period)"
    )

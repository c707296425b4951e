"""Commission rules over the API. Ranges are checked by referrals/commission_checks.py
(each with its own error code), not here: these models only fix the shape."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relaycode.catalog.schemas import exponent_or_none
from relaycode.referrals.commission_checks import MAX_LEVELS
from relaycode.referrals.commission_math import BindMode, CommissionRules, LevelRule

Source = Literal["offer", "merchant", "none"]


class LevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    percent_bp: int = Field(default=0, description="Basis points of the sale: 1000 = 10 %")
    fixed_minor: int = Field(default=0, description="A fixed amount, minor units of `currency`")


class CommissionRulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217: the currency of every amount here. A sale in another currency "
        "earns nothing when the rules have amounts (percentages alone fit any currency).",
    )
    levels: list[LevelIn] = Field(
        default_factory=list,
        max_length=MAX_LEVELS,
        description="Level 1 (whoever shared to the buyer) first; at most `max_depth` of them.",
    )
    max_depth: int = Field(default=1, description="Levels paid; at most the operator's cap")
    cap_minor: int | None = Field(default=None, description="Most paid on one sale, in all")
    min_order_minor: int = Field(default=0, description="Smaller sales earn nothing")
    first_purchase_only: bool = Field(default=False, description="Only a buyer's first order")
    window_days: int = Field(default=30, description="A scan counts this long (1–365 days)")
    bind_mode: BindMode = Field(default="last_touch", description="Which scan wins")
    hold_days: int = Field(default=7, description="Pending this long, then available")
    platform_percent_bp: int = Field(default=0, description="The platform's commission ([0100])")
    platform_fixed_minor: int = 0

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if exponent_or_none(v) is None:
            raise ValueError("not an ISO 4217 currency with a minor unit")
        return v

    def to_rules(self, *, operator_max_depth: int) -> CommissionRules:
        return CommissionRules(
            currency=self.currency,
            levels=tuple(LevelRule(lv.percent_bp, lv.fixed_minor) for lv in self.levels),
            max_depth=self.max_depth,
            operator_max_depth=operator_max_depth,
            cap_minor=self.cap_minor,
            min_order_minor=self.min_order_minor,
            first_purchase_only=self.first_purchase_only,
            window_days=self.window_days,
            bind_mode=self.bind_mode,
            hold_days=self.hold_days,
            platform=LevelRule(self.platform_percent_bp, self.platform_fixed_minor),
        )


class LevelOut(BaseModel):
    level: int
    percent_bp: int
    fixed_minor: int


class RulesOut(BaseModel):
    currency: str
    levels: list[LevelOut]
    max_depth: int
    operator_max_depth: int = Field(description="The operator's cap on max_depth")
    depth: int = Field(description="Levels actually paid: the smaller of the two")
    cap_minor: int | None
    min_order_minor: int
    first_purchase_only: bool
    window_days: int
    bind_mode: BindMode
    hold_days: int
    platform_percent_bp: int
    platform_fixed_minor: int

    @classmethod
    def of(cls, rules: CommissionRules) -> RulesOut:
        return cls(
            currency=rules.currency,
            levels=[
                LevelOut(level=n, percent_bp=r.percent_bp, fixed_minor=r.fixed_minor)
                for n, r in enumerate(rules.levels, start=1)
            ],
            max_depth=rules.max_depth,
            operator_max_depth=rules.operator_max_depth,
            depth=rules.depth,
            cap_minor=rules.cap_minor,
            min_order_minor=rules.min_order_minor,
            first_purchase_only=rules.first_purchase_only,
            window_days=rules.window_days,
            bind_mode=rules.bind_mode,
            hold_days=rules.hold_days,
            platform_percent_bp=rules.platform.percent_bp,
            platform_fixed_minor=rules.platform.fixed_minor,
        )


class MerchantRulesOut(BaseModel):
    merchant: str = Field(description="The merchant's slug")
    configured: bool = Field(description="False until the rules are first saved")
    version: int = Field(description="Send as If-Match to change them; 0 before the first save")
    updated_at: datetime | None
    rules: RulesOut


class OfferRulesOut(BaseModel):
    offer_id: int
    source: Source = Field(
        description="Where the effective rules come from: the offer's own, the merchant's, "
        "or none set (nobody earns)"
    )
    version: int = Field(description="Of the offer's own rules; send as If-Match; 0 if never set")
    override: RulesOut | None = Field(description="The offer's own rules, if it has them")
    effective: RulesOut

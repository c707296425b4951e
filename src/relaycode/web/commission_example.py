"""The worked example beside the commission rules ("on a ¥199.00 sale, level 1 earns
¥19.90 …"), computed by the pure module, so the page shows exactly what a sale pays."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_percent
from fastapi import Request
from sqlalchemy.orm import Session

from relaycode.identity.auth import Principal
from relaycode.merchants import service as merchants
from relaycode.merchants.service import OWNERS
from relaycode.models import Merchant, Offer
from relaycode.referrals import commission_rules as rules_service
from relaycode.referrals.commission_endpoints import WRITE_SCOPE
from relaycode.referrals.commission_math import (
    CommissionResult,
    CommissionRules,
    LevelRule,
    Referrer,
    SaleFacts,
    compute_commissions,
)
from relaycode.web import i18n
from relaycode.web.i18n import Translator
from relaycode.web.render import price_text

_BUYER = 0  # the example's buyer and referrers: ids no account has
_FIRST_REFERRER = -1


@dataclass(frozen=True)
class ExampleLine:
    text: str
    kind: str  # "earns", "blocked", "keeps", "note"


def percent_text(bp: int, locale: str) -> str:
    """1000 -> "10%", 1250 -> "12.5%" (as the locale writes percentages)."""
    return str(format_percent(Decimal(bp) / 10_000, format="#,##0.##%", locale=locale))


def term_text(t: Translator, rule: LevelRule, currency: str, locale: str) -> str:
    """ "10%", "¥3.00" or "5% + ¥3.00"."""
    parts = []
    if rule.percent_bp:
        parts.append(percent_text(rule.percent_bp, locale))
    if rule.fixed_minor:
        parts.append(price_text(rule.fixed_minor, currency, locale))
    return " + ".join(parts) if parts else t("commission.nothing")


def summary(t: Translator, rules: CommissionRules, locale: str) -> list[str]:
    """One line per paid level and the platform: "Level 1: 10%"."""
    lines = [
        t("commission.level_is", n=n, terms=term_text(t, rules.level(n), rules.currency, locale))
        for n in range(1, rules.depth + 1)
        if not rules.level(n).is_zero
    ]
    if not rules.platform.is_zero:
        terms = term_text(t, rules.platform, rules.currency, locale)
        lines.append(t("commission.platform_is", terms=terms))
    return lines


def example_sale(
    rules: CommissionRules, amount_minor: int, currency: str | None = None
) -> CommissionResult:
    """A first purchase (in ``currency``, by default the rules') through a chain as deep as
    the operator allows, of distinct people, none of them the buyer: the rules alone
    decide what each earns."""
    cur = currency or rules.currency
    sale = SaleFacts(amount_minor=amount_minor, currency=cur, buyer_user_id=_BUYER)
    chain = [Referrer(_FIRST_REFERRER - i) for i in range(max(rules.operator_max_depth, 1))]
    return compute_commissions(sale, chain, rules)


def example_lines(
    t: Translator,
    rules: CommissionRules,
    amount_minor: int,
    locale: str,
    currency: str | None = None,
) -> tuple[str, list[ExampleLine]]:
    """(heading, lines) of the worked example for a sale of ``amount_minor`` of
    ``currency`` (by default the rules' own)."""
    cur = currency or rules.currency

    def money(minor: int, currency: str = cur) -> str:
        return price_text(minor, currency, locale)

    result = example_sale(rules, amount_minor, cur)
    heading = t("commission.example_heading", amount=money(amount_minor))
    lines: list[ExampleLine] = []
    for split in result.splits:
        if split.beneficiary == "platform":
            lines.append(
                ExampleLine(
                    t("commission.example_platform", amount=money(split.amount_minor)), "earns"
                )
            )
        else:
            lines.append(
                ExampleLine(
                    t("commission.example_level", n=split.level, amount=money(split.amount_minor)),
                    "earns",
                )
            )
    sale_wide = {b.reason for b in result.blocked} & {"below_minimum", "currency_mismatch"}
    if "currency_mismatch" in sale_wide:
        text = t("commission.example_currency_mismatch", rules=rules.currency, sale=cur)
        lines.append(ExampleLine(text, "blocked"))
    elif sale_wide:
        minimum = money(rules.min_order_minor)
        lines.append(ExampleLine(t("commission.example_below_minimum", minimum=minimum), "blocked"))
    else:
        deeper = [b.level for b in result.blocked if b.reason == "beyond_max_depth"]
        if deeper:
            lines.append(ExampleLine(t("commission.example_beyond", n=deeper[0]), "blocked"))
    if not result.splits and not sale_wide:
        lines.append(ExampleLine(t("commission.example_nobody"), "blocked"))
    if result.capped:
        wanted = sum(s.rule_minor for s in result.splits)
        cap = amount_minor if rules.cap_minor is None else min(rules.cap_minor, amount_minor)
        lines.append(
            ExampleLine(
                t("commission.example_capped", cap=money(cap), wanted=money(wanted)), "note"
            )
        )
    lines.append(
        ExampleLine(t("commission.example_keeps", amount=money(result.merchant_minor)), "keeps")
    )
    if result.splits:
        key = "commission.example_hold" if rules.hold_days else "commission.example_no_hold"
        lines.append(ExampleLine(t(key, days=rules.hold_days), "note"))
    if rules.first_purchase_only:
        lines.append(ExampleLine(t("commission.example_first_only"), "note"))
    mode = t(f"commission.bind.{rules.bind_mode}")
    lines.append(
        ExampleLine(t("commission.example_window", days=rules.window_days, mode=mode), "note")
    )
    return heading, lines


def offer_section(
    request: Request,
    db: Session,
    principal: Principal,
    offer: Offer,
    merchant: Merchant,
    depth: int,
) -> dict[str, Any] | None:
    """What the offer's admin page shows of its commission rules: for owners and
    operators (who may change them), else nothing."""
    if not merchants.allowed(db, principal, merchant, roles=OWNERS, scope=WRITE_SCOPE):
        return None
    rules, source = rules_service.load_effective(db, offer, operator_max_depth=depth)
    t = Translator(i18n.pick_lang(request))
    locale = i18n.number_locale(request, t.lang)
    section: dict[str, Any] = {
        "source": source,
        "summary": summary(t, rules, locale),
        "heading": "",
        "lines": [],
    }
    if offer.price_minor:
        section["heading"], section["lines"] = example_lines(
            t, rules, offer.price_minor, locale, offer.currency
        )
    return section

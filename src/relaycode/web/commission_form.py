"""The commission rules form: reading it into ``CommissionRules``, and rules back into the
strings it shows. Percentages are typed as "10" or "12.5" (a comma works too), amounts
as prices are (money.to_minor, in the page's locale)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from starlette.datastructures import FormData

from relaycode.money import MoneyError, exponent, to_minor
from relaycode.referrals.commission_checks import rule_problems
from relaycode.referrals.commission_math import BIND_MODES, CommissionRules, LevelRule
from relaycode.web.offer_form import CURRENCIES
from relaycode.web.render import price_input
from relaycode.web.session import text

# An error message key, or a key with its values (as web/offer_form.py).
Message = str | tuple[str, tuple[tuple[str, str], ...]]
_PERCENT = re.compile(r"^(\d{1,3})(?:\.(\d{1,2}))?$")
_MONEY_FIELDS = ("cap", "min_order", "platform_fixed", "example")
_INT_FIELDS = ("window_days", "hold_days", "max_depth")


def percent_input(bp: int) -> str:
    """1000 -> "10", 1250 -> "12.5", 5 -> "0.05", 0 -> ""."""
    if bp == 0:
        return ""
    whole, frac = divmod(bp, 100)
    return str(whole) if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")


def percent_bp(value: str) -> int:
    """ "12.5" / "12,5" / "12.5 %" / "１２．５％" -> 1250; ValueError when not a percentage
    with at most two decimals (a range check is commission_checks')."""
    cleaned = unicodedata.normalize("NFKC", value).replace("。", ".").replace(",", ".")
    cleaned = cleaned.replace("%", "").strip()
    match = _PERCENT.match(cleaned)
    if match is None:
        raise ValueError(value)
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def example_minor(currency: str) -> int:
    """199 in the currency's major unit: ¥199.00 is 19900 fen, ¥199 is 199 yen."""
    try:
        scale: int = 10 ** exponent(currency)  # an int (typeshed cannot tell)
    except MoneyError:
        return 19_900
    return 199 * scale


def rules_values(
    rules: CommissionRules, locale: str, *, version: int, example: int | None = None
) -> dict[str, Any]:
    """Saved rules as the strings their form shows."""
    cur = rules.currency

    def money(minor: int | None) -> str:
        return "" if not minor else price_input(minor, cur, locale)

    values: dict[str, Any] = {
        "currency": cur,
        "max_depth": str(rules.max_depth),
        "cap": "" if rules.cap_minor is None else price_input(rules.cap_minor, cur, locale),
        "min_order": money(rules.min_order_minor),
        "first_purchase_only": rules.first_purchase_only,
        "window_days": str(rules.window_days),
        "bind_mode": rules.bind_mode,
        "hold_days": str(rules.hold_days),
        "platform_percent": percent_input(rules.platform.percent_bp),
        "platform_fixed": money(rules.platform.fixed_minor),
        "example": price_input(example or example_minor(cur), cur, locale),
        "version": str(version),
    }
    for n in range(1, rules.operator_max_depth + 1):
        level = rules.level(n)
        values[f"level_{n}_percent"] = percent_input(level.percent_bp)
        values[f"level_{n}_fixed"] = money(level.fixed_minor)
    return values


def _money_error(label: str, err: MoneyError) -> Message:
    if err.reason == "ambiguous" and err.suggestions:
        return (
            "commission.money.ambiguous",
            (("field", label), ("ways", " / ".join(err.suggestions))),
        )
    return (f"commission.money.{err.reason}", (("field", label),))


class _Reader:
    """Reads one form, collecting error messages as it goes."""

    def __init__(self, form: FormData, locale: str, labels: dict[str, str]) -> None:
        self.form, self.locale, self.labels = form, locale, labels
        self.errors: list[Message] = []
        self.currency = text(form, "currency").upper() or "CNY"

    def money(self, name: str, *, default: int | None = 0) -> int | None:
        raw = text(self.form, name)
        if not raw:
            return default
        try:
            return to_minor(raw, self.currency, self.locale)
        except MoneyError as err:
            self.errors.append(_money_error(self.labels.get(name, name), err))
            return default

    def percent(self, name: str) -> int:
        raw = text(self.form, name)
        if not raw:
            return 0
        try:
            return percent_bp(raw)
        except ValueError:
            self.errors.append(
                ("commission.invalid_percent", (("field", self.labels.get(name, name)),))
            )
            return 0

    def integer(self, name: str, default: int) -> int:
        raw = unicodedata.normalize("NFKC", text(self.form, name))
        if not raw:
            return default
        if not raw.isdigit() or len(raw) > 6:
            self.errors.append(
                ("commission.invalid_number", (("field", self.labels.get(name, name)),))
            )
            return default
        return int(raw)


def read_rules_form(
    form: FormData, locale: str, operator_max_depth: int, labels: dict[str, str]
) -> tuple[dict[str, Any], CommissionRules, int | None, list[Message]]:
    """(values to show back, the rules, the example amount, error messages)."""
    names = [*_MONEY_FIELDS, *_INT_FIELDS, "platform_percent", "bind_mode", "version"]
    values: dict[str, Any] = {name: text(form, name) for name in names}
    values["first_purchase_only"] = bool(text(form, "first_purchase_only"))
    reader = _Reader(form, locale, labels)
    values["currency"] = reader.currency
    if reader.currency not in CURRENCIES:
        reader.errors.append("commission.bad_currency")
        reader.currency = "CNY"
    levels: list[LevelRule] = []
    for n in range(1, operator_max_depth + 1):
        for part in ("percent", "fixed"):
            values[f"level_{n}_{part}"] = text(form, f"level_{n}_{part}")
        levels.append(
            LevelRule(reader.percent(f"level_{n}_percent"), reader.money(f"level_{n}_fixed") or 0)
        )
    while levels and levels[-1].is_zero:
        levels.pop()
    bind = values["bind_mode"]
    rules = CommissionRules(
        currency=reader.currency,
        levels=tuple(levels),
        max_depth=reader.integer("max_depth", 1),
        operator_max_depth=operator_max_depth,
        cap_minor=reader.money("cap", default=None),
        min_order_minor=reader.money("min_order") or 0,
        first_purchase_only=values["first_purchase_only"],
        window_days=reader.integer("window_days", 30),
        bind_mode="first_touch" if bind == "first_touch" else "last_touch",
        hold_days=reader.integer("hold_days", 7),
        platform=LevelRule(reader.percent("platform_percent"), reader.money("platform_fixed") or 0),
    )
    if bind and bind not in BIND_MODES:
        reader.errors.append("commission.problem.bad_bind_mode")
    example = reader.money("example", default=None)
    errors = reader.errors + [
        _problem_message(p.field, p.code, labels) for p in rule_problems(rules)
    ]
    return values, rules, example, list(dict.fromkeys(errors))


def _problem_message(field: str, code: str, labels: dict[str, str]) -> Message:
    """A commission_checks problem as a message naming the field the form calls it."""
    parts = field.split(".")
    if parts[0] == "levels" and len(parts) == 3:
        name = f"level_{parts[1]}_{'percent' if parts[2] == 'percent_bp' else 'fixed'}"
    else:
        name = {
            "platform": "platform_percent",
            "cap_minor": "cap",
            "min_order_minor": "min_order",
        }.get(parts[0], parts[0])
        if parts[0] == "platform" and parts[-1] == "fixed_minor":
            name = "platform_fixed"
    return (f"commission.problem.{code}", (("field", labels.get(name, name)),))

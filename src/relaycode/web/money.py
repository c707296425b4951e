"""Prices as people type and read them, over integer minor units (pure, no I/O).

A currency's exponent is how many decimals its minor unit has (ISO 4217): JPY and KRW
have none, most currencies two, a few Gulf and North African dinars three.
"""

from __future__ import annotations

import re
import unicodedata

MAX_MINOR = 10**12  # the API's upper bound for price_minor

_EXPONENT_0 = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
_EXPONENT_3 = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
_SCALE = (1, 10, 100, 1000)  # 10**exponent, for the exponents above
_PRICE = re.compile(r"^(\d+)(?:\.(\d*))?$|^\.(\d+)$", re.ASCII)
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d*)?$", re.ASCII)

# Symbols as CLDR writes them in each language; other currencies show their code.
_SYMBOLS: dict[str, dict[str, str]] = {
    "en": {
        "CNY": "CN¥",
        "JPY": "¥",
        "USD": "$",
        "EUR": "€",
        "GBP": "£",
        "KRW": "₩",
        "HKD": "HK$",
        "TWD": "NT$",
        "INR": "₹",
    },
    "zh-CN": {
        "CNY": "¥",
        "JPY": "JP¥",
        "USD": "US$",
        "EUR": "€",
        "GBP": "£",
        "KRW": "₩",
        "HKD": "HK$",
        "TWD": "NT$",
        "INR": "₹",
    },
}


class PriceError(ValueError):
    """Why a typed price was refused; ``reason`` is a stable code for the message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def currency_exponent(currency: str) -> int:
    cur = currency.upper()
    if cur in _EXPONENT_0:
        return 0
    if cur in _EXPONENT_3:
        return 3
    return 2


def parse_price(text: str, currency: str) -> int:
    """``"12.50"`` in CNY -> 1250; ``"1200"`` in JPY -> 1200.

    Accepts full-width digits and a full-width point (typed with a CJK input method),
    spaces and thousands commas (only where thousands separators go). Refuses more
    decimals than the currency has, rather than silently rounding somebody's price.
    """
    norm = unicodedata.normalize("NFKC", text).replace("。", ".")
    norm = "".join(norm.split())
    if "," in norm:
        # Only as thousands separators: "12,50" must not become 1250.
        if not _GROUPED.match(norm):
            raise PriceError("not_a_number")
        norm = norm.replace(",", "")
    if not norm:
        raise PriceError("empty")
    if norm.startswith("-"):
        raise PriceError("negative")
    match = _PRICE.match(norm)
    if match is None:
        raise PriceError("not_a_number")
    whole = match.group(1) or "0"
    frac = (match.group(2) if match.group(1) is not None else match.group(3)) or ""
    exp = currency_exponent(currency)
    if len(frac) > exp:
        if frac[exp:].strip("0"):
            raise PriceError("too_many_decimals")
        frac = frac[:exp]
    minor = int(whole) * _SCALE[exp] + int(frac.ljust(exp, "0") or "0")
    if minor > MAX_MINOR:
        raise PriceError("too_large")
    return minor


def minor_to_decimal(minor: int, currency: str) -> str:
    """The plain decimal for an input box: 1250 CNY -> ``"12.50"``, 1200 JPY -> ``"1200"``."""
    exp = currency_exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), _SCALE[exp])
    return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"


def format_price(minor: int, currency: str, lang: str) -> str:
    """For reading: 1250 CNY -> ``"CN¥12.50"`` (en) or ``"¥12.50"`` (zh-CN)."""
    exp = currency_exponent(currency)
    whole, frac = divmod(abs(minor), _SCALE[exp])
    number = f"{whole:,}" + (f".{frac:0{exp}d}" if exp else "")
    sign = "-" if minor < 0 else ""
    symbol = _SYMBOLS.get(lang, _SYMBOLS["en"]).get(currency.upper())
    if symbol is None:
        return f"{sign}{number} {currency.upper()}"
    return f"{sign}{symbol}{number}"

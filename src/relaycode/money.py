"""Money as integer minor units plus an ISO 4217 currency: exponents, parsing, formatting.

Pure functions, no I/O, no floats (``Decimal`` only, and only on the way in and out): the
offer form uses them today, the wallet ledger will use ``exponent`` and ``to_minor``.

A currency's exponent is how many decimals its minor unit has. ISO 4217 is the truth
here, not CLDR: CLDR's "digits" (Babel's ``get_currency_precision``) are a display
convention and say 0 for currencies whose minor unit still exists in accounting
(IQD has 3 in ISO 4217, 0 in CLDR; HUF, IDR, COP ... have 2 in ISO, 0 in CLDR).
Babel supplies everything else: which codes are currencies, symbols, and each
locale's way of writing and reading numbers.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from decimal import Decimal, localcontext
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    is_currency,
    parse_decimal,
)

DEFAULT_CURRENCY = "CNY"  # what an offer or a money field is in when nobody says
MAX_MINOR = 10**12  # the API's upper bound for price_minor
# Digits a price may have before it is read at all: 13 whole digits exceed MAX_MINOR in
# any currency, 4 decimals are the most ISO 4217 has; the rest is room for zeros. Babel
# reformats what it parsed in Decimal's 28-digit context, where longer numbers raised
# InvalidOperation (a 500 on the offer form).
_MAX_WHOLE_DIGITS = 13
_MAX_DECIMALS = 4
_MAX_DIGITS = 40

# ISO 4217 minor units that are not 2 (list of 2024; unchanged since 2018 but for
# the currencies added with 2, e.g. SLE, VED, ZWG).
# fmt: off
_ISO_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                     "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
# Codes ISO 4217 lists with no minor unit at all: metals, fund units, test codes.
_NOT_MONEY = frozenset(("XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT",
                        "XSU", "XTS", "XUA", "XXX"))
# fmt: on
_CODE = re.compile(r"^[A-Z]{3}$")
# Bidi marks that CLDR puts around Arabic and Hebrew amounts; invisible when typed.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u2066\u2067\u2068\u2069"), None)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
# Whatever is left before or after the digits and separators.
_AFFIX = re.compile(r"^([^\d.,'\s]*)(.*?)([^\d.,'\s]*)$", re.DOTALL)
_LOCALES_FOR_SYMBOLS = ("en", "zh_Hans_CN", "ja", "fr")
_EXTRA_SYMBOLS = {"CNY": ("RMB", "元"), "JPY": ("円",)}


class MoneyError(ValueError):
    """Why an amount or currency was refused; ``reason`` is a stable code for a message."""

    def __init__(self, reason: str, *, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.suggestions = suggestions


def currency_code(currency: str) -> str:
    """The upper-case ISO 4217 code, if it names money; else ``unknown_currency``."""
    code = currency.strip().upper()
    if not _CODE.match(code) or code in _NOT_MONEY or not is_currency(code):
        raise MoneyError("unknown_currency")
    return code


def exponent(currency: str) -> int:
    """Digits of the minor unit per ISO 4217: JPY 0, CNY 2, KWD 3, CLF 4."""
    code = currency_code(currency)
    return _ISO_EXPONENTS.get(code, 2)


def cldr_differs(currency: str) -> bool:
    """True where CLDR shows fewer decimals than ISO 4217 counts (documentation aid)."""
    return get_currency_precision(currency_code(currency)) != exponent(currency)


def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


@lru_cache(maxsize=512)
def _symbols(code: str, locale: str) -> frozenset[str]:
    """Every way of writing this currency that we accept next to an amount."""
    found = {code, code.lower(), *_EXTRA_SYMBOLS.get(code, ())}
    for name in (locale, *_LOCALES_FOR_SYMBOLS):
        symbol = get_currency_symbol(code, _locale(name))
        found.add(symbol)
        # "CN¥" -> "¥", "US$" -> "$": the narrow form people type.
        narrow = symbol.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if narrow and narrow != symbol and not narrow.isalpha():
            found.add(narrow)
    cleaned = (_clean(s) for s in found)
    return frozenset(s for s in cleaned if s)


def _clean(text: str) -> str:
    """Typed the way a keyboard types it: NFKC (full-width digits), no invisible marks."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).replace("。", ".").strip()


def to_minor(amount_text: str, currency: str, locale: str) -> int:
    """``"¥38.5"`` CNY -> 3850; ``"38,50"`` in de -> 3850; ``"1,234.50"`` in en -> 123450.

    The number is read the way ``locale`` writes numbers (Babel, strict): a separator
    that could be read two ways ("38,50" in English) is ``ambiguous``, more decimals
    than the currency has (38.505 CNY, 1.5 JPY) is ``too_many_decimals``; nothing is
    rounded. Full-width digits (typed with a CJK input method) are fine.
    """
    if not isinstance(amount_text, str):
        raise TypeError("amounts are read from text, never from floats")
    code = currency_code(currency)
    loc = _locale(locale)
    text = _clean(amount_text)
    if not text:
        raise MoneyError("empty")
    number = _strip_symbol(text, _symbols(code, str(loc)))
    if number.startswith(("-", "\u2212")) or text.startswith(("-", "\u2212")):
        raise MoneyError("negative")
    match = _AFFIX.match(number)
    if match is None or not any(ch.isdigit() for ch in number):
        raise MoneyError("not_a_number")
    if match.group(1) or match.group(3):
        # Something left beside the number: another currency's symbol, or junk.
        extra = match.group(1) + match.group(3)
        money_like = any(ch.isalpha() or unicodedata.category(ch) == "Sc" for ch in extra)
        raise MoneyError("wrong_currency" if money_like else "not_a_number")
    value = _parse_number(number, loc)
    return _exact_minor(value, _ISO_EXPONENTS.get(code, 2))


def _exact_minor(value: Decimal, exp: int) -> int:
    """``value`` in minor units, in integers: ``Decimal.scaleb`` rounds to the context's
    28 digits first, so 1.00000000000000000000000000001 CNY became 100 and passed as
    whole. Here a digit that does not fit is refused, never rounded away."""
    _sign, digits, power = value.as_tuple()
    if not isinstance(power, int):
        raise MoneyError("not_a_number")  # NaN or infinity
    coefficient = int("".join(map(str, digits)) or "0")
    shift = power + exp
    if coefficient == 0:
        return 0
    if shift >= 0:
        if len(digits) + shift > len(str(MAX_MINOR)):
            raise MoneyError("too_large")  # and no 10**shift of a huge shift is built
        scale: int = 10**shift  # an int, shift >= 0 (typeshed cannot tell)
        minor = coefficient * scale
    else:
        divisor: int = 10 ** (-shift)
        minor, rest = divmod(coefficient, divisor)
        if rest:
            raise MoneyError("too_many_decimals")
    if minor > MAX_MINOR:
        raise MoneyError("too_large")
    return minor


def _strip_symbol(text: str, symbols: frozenset[str]) -> str:
    """The text without one symbol or code of its currency, before or after the number."""
    for symbol in sorted(symbols, key=len, reverse=True):
        if text.startswith(symbol):
            return text[len(symbol) :].strip()
        if text.endswith(symbol):
            return text[: -len(symbol)].strip()
    return text


def _parse_number(number: str, loc: Locale) -> Decimal:
    group = get_group_symbol(loc)
    decimal_sign = get_decimal_symbol(loc)
    if _SPACES.search(number):
        if not _SPACES.fullmatch(group):
            raise MoneyError("not_a_number")  # "12 50" where spaces do not group digits
        number = _SPACES.sub(group, number)
    if group == "'" or group == "\u2019":  # Swiss: either apostrophe groups digits
        number = number.replace("\u2019", group).replace("'", group)
    # Only digits and this locale's two separators (or a plain point, where the point is
    # not the group separator): no exponents, NaN, underscores or stray letters.
    allowed = {group, decimal_sign} | ({"."} if group != "." else set())
    if not all(ch.isdigit() or ch in allowed for ch in number) or not any(
        ch.isdigit() for ch in number
    ):
        raise MoneyError("not_a_number")
    if group != "." and decimal_sign != "." and "." in number and decimal_sign in number:
        raise MoneyError("not_a_number")
    if decimal_sign != "." and group != ".":
        number = number.replace(".", decimal_sign)
    _check_length(number, decimal_sign)
    try:
        with localcontext(prec=2 * _MAX_DIGITS):  # room for every digit we let through
            value = parse_decimal(number, locale=loc, strict=True)
    except NumberFormatError as err:
        suggestions = tuple(s for s in getattr(err, "suggestions", None) or () if s)
        raise MoneyError("ambiguous" if suggestions else "not_a_number",
                         suggestions=suggestions) from None  # fmt: skip
    except ArithmeticError:  # decimal.InvalidOperation and kin: what Babel cannot reformat
        raise MoneyError("not_a_number") from None
    if not value.is_finite() or value.is_signed():
        raise MoneyError("not_a_number")
    return value


def _check_length(number: str, decimal_sign: str) -> None:
    """Refuse a number no price could be before Babel reads it: its whole part (group
    separators aside) or its decimals already say so."""
    whole, _, fraction = number.partition(decimal_sign)
    whole_digits = "".join(ch for ch in whole if ch.isdigit()).lstrip("0")
    decimals = "".join(ch for ch in fraction if ch.isdigit()).rstrip("0")
    if len(whole_digits) > _MAX_WHOLE_DIGITS:
        raise MoneyError("too_large")
    if len(decimals) > _MAX_DECIMALS:
        raise MoneyError("too_many_decimals")
    if sum(ch.isdigit() for ch in number) > _MAX_DIGITS:
        raise MoneyError("not_a_number")  # zeros past any use


def _amount(minor: int, exp: int) -> Decimal:
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError("minor units are integers")
    return Decimal(minor).scaleb(-exp)


def format_minor(minor: int, currency: str, locale: str) -> str:
    """For reading: 3850 CNY -> ``"CN¥38.50"`` (en), ``"¥38.50"`` (zh-CN), ``"38,50 CN¥"``
    (de); always with the ISO number of decimals, whatever CLDR would round to."""
    code = currency_code(currency)
    exp = exponent(code)
    loc = _locale(locale)
    # A copy with the fraction pinned to the ISO exponent (CLDR would say 0 for IQD).
    pinned = copy.copy(loc.currency_formats["standard"])
    pinned.frac_prec = (exp, exp)
    return str(pinned.apply(_amount(minor, exp), loc, currency=code, currency_digits=False))


def format_input(minor: int, currency: str, locale: str) -> str:
    """For an input box: 3850 CNY -> ``"38.50"`` (en) or ``"38,50"`` (de); no symbol and no
    grouping, so that ``to_minor`` reads it back as it was."""
    exp = exponent(currency)
    pattern = "0." + "0" * exp if exp else "0"
    return str(format_decimal(_amount(minor, exp), format=pattern, locale=_locale(locale)))

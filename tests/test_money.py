"""Money in minor units: ISO 4217 exponents, amounts read and written per locale (money.py).

Moved from tests/web/test_web_money.py when the exponents left the web layer.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaycode.money import (
    MAX_MINOR,
    MoneyError,
    cldr_differs,
    exponent,
    format_input,
    format_minor,
    to_minor,
)

LOCALES = ["en", "en_IN", "zh_Hans_CN", "de", "fr", "de_CH", "ja", "ar", "ru", "hi"]
CURRENCIES = ["CNY", "JPY", "KWD", "USD", "KRW", "EUR", "IQD", "CLF", "HUF", "INR"]


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        # The ones a new user typed and had refused:
        ("¥38.5", "CNY", "zh_Hans_CN", 3850),
        ("¥38.5", "CNY", "en", 3850),
        ("38.50", "CNY", "en", 3850),
        ("38,50", "EUR", "de", 3850),
        ("38,50", "EUR", "fr", 3850),
        ("1,234.50", "CNY", "en", 123450),
        ("38", "CNY", "en", 3800),
        # and the ones that worked before keep working:
        ("12.5", "CNY", "en", 1250),
        ("12.", "USD", "en", 1200),
        (".5", "EUR", "en", 50),
        ("0", "CNY", "en", 0),
        ("0.01", "CNY", "en", 1),
        ("1200", "JPY", "en", 1200),
        ("1200.0", "JPY", "en", 1200),  # trailing zeros are harmless
        ("12.50", "usd", "en", 1250),  # currency case does not matter
        ("1.234", "KWD", "en", 1234),  # three decimals
        ("1,234,567", "KRW", "en", 1234567),
        (" 12.50 ", "CNY", "en", 1250),
        ("１２．５０", "CNY", "zh_Hans_CN", 1250),  # full-width, from a CJK input method
        ("12。50", "CNY", "zh_Hans_CN", 1250),  # ideographic full stop
        ("38元", "CNY", "zh_Hans_CN", 3800),
        ("￥1,200", "JPY", "ja", 1200),
        ("CN¥ 38.50", "CNY", "en", 3850),
        ("cny 38", "CNY", "en", 3800),
        ("38.50 €", "EUR", "fr", 3850),
        ("1 234,50", "EUR", "fr", 123450),  # a typed space for French grouping
        ("1.234,50", "EUR", "de", 123450),
        ("12.5", "EUR", "fr", 1250),  # a point is no French group separator: a decimal
        ("CHF 1'234.50", "CHF", "de_CH", 123450),
        ("1.234", "IQD", "en", 1234),  # ISO 4217 says 3 decimals, CLDR says 0
        ("\u200f12.50\xa0", "USD", "ar", 1250),  # bidi marks are invisible when pasted
    ],
)
def test_to_minor(text: str, currency: str, locale: str, minor: int) -> None:
    assert to_minor(text, currency, locale) == minor


@pytest.mark.parametrize(
    ("text", "currency", "locale", "reason"),
    [
        ("", "CNY", "en", "empty"),
        ("   ", "CNY", "en", "empty"),
        ("-1", "CNY", "en", "negative"),
        ("¥-5", "CNY", "en", "negative"),
        ("38.505", "CNY", "en", "too_many_decimals"),
        ("1.5", "JPY", "en", "too_many_decimals"),
        ("12.5", "JPY", "ja", "too_many_decimals"),
        ("38,50", "CNY", "en", "ambiguous"),  # 3,850 or 38.50? Say which.
        ("1,23", "CNY", "en", "ambiguous"),
        ("38.50", "EUR", "de", "ambiguous"),  # 3.850 or 38,50?
        ("abc", "CNY", "en", "not_a_number"),
        ("1e3", "CNY", "en", "not_a_number"),
        ("NaN", "CNY", "en", "not_a_number"),
        ("1_000", "CNY", "en", "not_a_number"),
        ("1.2.3", "CNY", "en", "not_a_number"),
        ("12 50", "CNY", "en", "not_a_number"),
        ("1.234,5", "EUR", "fr", "not_a_number"),
        ("$38", "CNY", "en", "wrong_currency"),
        ("38 €", "CNY", "en", "wrong_currency"),
        ("10000000001", "CNY", "en", "too_large"),
        ("12", "XYZ", "en", "unknown_currency"),
        ("12", "XAU", "en", "unknown_currency"),
    ],
)
def test_to_minor_refuses(text: str, currency: str, locale: str, reason: str) -> None:
    with pytest.raises(MoneyError) as info:
        to_minor(text, currency, locale)
    assert info.value.reason == reason


def test_ambiguous_says_what_it_could_mean() -> None:
    with pytest.raises(MoneyError) as info:
        to_minor("38,50", "CNY", "en")
    assert info.value.suggestions == ("3,850", "38.5")


def test_exponents_follow_iso_4217() -> None:
    assert exponent("JPY") == 0
    assert exponent("krw") == 0
    assert exponent("CNY") == 2
    assert exponent("BHD") == 3
    assert exponent("IQD") == 3
    assert exponent("CLF") == 4
    assert exponent("HUF") == 2
    # Where CLDR (Babel's get_currency_precision) rounds for display, ISO still counts.
    assert cldr_differs("IQD") and cldr_differs("HUF") and not cldr_differs("CNY")
    with pytest.raises(MoneyError):
        exponent("XYZ")


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "shown"),
    [
        (1250, "CNY", "en", "CN¥12.50"),
        (1250, "CNY", "zh_Hans_CN", "¥12.50"),
        (120000, "JPY", "en", "¥120,000"),
        (120000, "JPY", "zh_Hans_CN", "JP¥120,000"),
        (123456789, "USD", "en", "$1,234,567.89"),
        (5, "EUR", "en", "€0.05"),
        (3850, "EUR", "de", "38,50\xa0€"),
        (1234, "KWD", "en", "KWD1.234"),
        (1234, "IQD", "en", "IQD1.234"),  # not rounded to CLDR's 0 decimals
        (0, "CNY", "en", "CN¥0.00"),
    ],
)
def test_format_minor(minor: int, currency: str, locale: str, shown: str) -> None:
    assert format_minor(minor, currency, locale) == shown


def test_never_float() -> None:
    with pytest.raises(TypeError):
        to_minor(38.5, "CNY", "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_minor(38.5, "CNY", "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_minor(True, "CNY", "en")


@given(
    minor=st.integers(min_value=0, max_value=MAX_MINOR),
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(LOCALES),
)
def test_round_trip_shown(minor: int, currency: str, locale: str) -> None:
    """What we show is read back as the same amount, in every locale."""
    assert to_minor(format_minor(minor, currency, locale), currency, locale) == minor


@given(
    minor=st.integers(min_value=0, max_value=MAX_MINOR),
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(LOCALES),
)
def test_round_trip_input(minor: int, currency: str, locale: str) -> None:
    """An edit form shows the amount in a way that saves back unchanged."""
    assert to_minor(format_input(minor, currency, locale), currency, locale) == minor


@given(
    whole=st.integers(min_value=0, max_value=10**8),
    frac=st.integers(min_value=0, max_value=999),
    currency=st.sampled_from(["CNY", "KWD", "JPY"]),
)
def test_exact_without_floats(whole: int, frac: int, currency: str) -> None:
    """Decimal digits in, the exact integer out: what float arithmetic gets wrong."""
    exp = exponent(currency)
    digits = str(frac).zfill(3)[:exp]
    text = f"{whole}.{digits}" if exp else str(whole)
    expected = whole * 10**exp + (int(digits) if exp else 0)
    assert to_minor(text, currency, "en") == expected
    assert Decimal(format_input(expected, currency, "en")) == Decimal(text)


_digits = st.text(st.sampled_from("0123456789"), max_size=20)
# Decimals past Decimal's 28-digit context: zeros and then a digit that must not vanish.
_fractions = _digits | st.builds(
    lambda zeros, last: "0" * zeros + last, st.integers(0, 36), st.sampled_from("123456789")
)


@given(
    whole=_digits,
    fraction=_fractions,
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(["en", "de"]),
)
def test_never_rounds(whole: str, fraction: str, currency: str, locale: str) -> None:
    """The amount saved is the amount typed, exactly, or it is refused: no digit is
    rounded away (1.00000000000000000000000000001 CNY was saved as 100)."""
    if not (whole or fraction):
        return
    sign = "." if locale == "en" else ","
    text = whole + (sign + fraction if fraction else "")
    exact = (Fraction(int(whole or "0")) + Fraction(int(fraction or "0"), 10 ** len(fraction))) * (
        10 ** exponent(currency)
    )
    try:
        minor = to_minor(text, currency, locale)
    except MoneyError:
        representable = exact.denominator == 1 and exact <= MAX_MINOR
        assert not representable or len(whole + fraction) > 40, text
    else:
        assert minor == exact, text


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("1.00000000000000000000000000001", "CNY", "too_many_decimals"),
        ("0.0000000000000000000000000001", "CNY", "too_many_decimals"),
        ("38.5000000000000000000000000000001", "JPY", "too_many_decimals"),
        ("10000000000.000000000000000000000000001", "CNY", "too_many_decimals"),
    ],
)
def test_digits_past_28_are_not_rounded_away(text: str, currency: str, reason: str) -> None:
    with pytest.raises(MoneyError) as info:
        to_minor(text, currency, "en")
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("text", "locale", "reason"),
    [
        # Each was a decimal.InvalidOperation out of Babel: a 500 on the offer form.
        ("1,00000000000000000000000000001", "en", "too_large"),
        ("1,000000000000000000000000000005", "en", "too_large"),
        ("1" + "0" * 40 + ",5", "en", "too_large"),
        ("1.00000000000000000000000000001", "de", "too_large"),
        ("0," + "0" * 29 + "5", "de", "too_many_decimals"),
        ("0" * 60 + "1", "en", "not_a_number"),  # zeros past any use
        ("1." + "0" * 60, "en", "not_a_number"),
    ],
)
def test_long_numbers_are_refused_with_a_reason(text: str, locale: str, reason: str) -> None:
    with pytest.raises(MoneyError) as info:
        to_minor(text, "CNY", locale)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("text", "locale", "minor"),
    [("0" * 30 + "1.5", "en", 150), ("1.5" + "0" * 30, "en", 150), ("1,5" + "0" * 30, "de", 150)],
)
def test_harmless_zeros_still_read(text: str, locale: str, minor: int) -> None:
    assert to_minor(text, "CNY", locale) == minor


_run = st.integers(min_value=0, max_value=10**45).map(str) | st.text(
    st.sampled_from("0123456789"), min_size=1, max_size=45
)
_runs = st.lists(_run, min_size=1, max_size=4)


def _join(runs: list[str], seps: list[str]) -> str:
    """Digit runs with a separator after each of the first ones."""
    return "".join(r + s for r, s in zip(runs, seps, strict=False)) + "".join(runs[len(seps) :])


_numbers = st.builds(
    _join,
    _runs,
    st.lists(st.sampled_from([".", ",", "'", " ", "\u00a0", "\u202f"]), max_size=4),
) | st.text(st.sampled_from("0123456789.,' \u00a0"), min_size=1, max_size=80)


@settings(max_examples=300)
@given(
    text=_numbers,
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(LOCALES),
)
def test_any_number_is_read_or_refused(text: str, currency: str, locale: str) -> None:
    """Digits and separators of any length, in any locale: an amount or a MoneyError with
    a reason, never another exception."""
    try:
        minor = to_minor(text, currency, locale)
    except MoneyError as err:
        assert err.reason in {"empty", "not_a_number", "ambiguous", "too_large",
                              "too_many_decimals", "negative"}  # fmt: skip
    else:
        assert 0 <= minor <= MAX_MINOR

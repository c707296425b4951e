"""Typed prices to integer minor units and back (web/money.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaycode.web.money import (
    MAX_MINOR,
    PriceError,
    currency_exponent,
    format_price,
    minor_to_decimal,
    parse_price,
)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "CNY", 1250),
        ("12.5", "CNY", 1250),
        ("12", "CNY", 1200),
        ("12.", "USD", 1200),
        (".5", "EUR", 50),
        ("0", "CNY", 0),
        ("0.01", "CNY", 1),
        ("1200", "JPY", 1200),
        ("1200.0", "JPY", 1200),  # trailing zeros are harmless
        ("12.50", "usd", 1250),  # currency case does not matter
        ("1.234", "KWD", 1234),  # three decimals
        ("1,234.50", "CNY", 123450),
        ("1,234,567", "KRW", 1234567),
        (" 12.50 ", "CNY", 1250),
        ("１２．５０", "CNY", 1250),  # full-width digits from a CJK input method
        ("12。50", "CNY", 1250),  # ideographic full stop
    ],
)
def test_parse_price(text: str, currency: str, minor: int) -> None:
    assert parse_price(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("", "CNY", "empty"),
        ("   ", "CNY", "empty"),
        ("-1", "CNY", "negative"),
        ("12.345", "CNY", "too_many_decimals"),
        ("12.5", "JPY", "too_many_decimals"),
        ("abc", "CNY", "not_a_number"),
        ("1e3", "CNY", "not_a_number"),
        ("12,50", "EUR", "not_a_number"),  # a decimal comma must not become 1250.00
        ("1,23", "CNY", "not_a_number"),
        ("1.2.3", "CNY", "not_a_number"),
        ("¥12", "CNY", "not_a_number"),
        ("NaN", "CNY", "not_a_number"),
        ("10000000001", "CNY", "too_large"),
    ],
)
def test_parse_price_refuses(text: str, currency: str, reason: str) -> None:
    with pytest.raises(PriceError) as info:
        parse_price(text, currency)
    assert info.value.reason == reason


def test_exponents() -> None:
    assert currency_exponent("JPY") == 0
    assert currency_exponent("krw") == 0
    assert currency_exponent("CNY") == 2
    assert currency_exponent("BHD") == 3
    assert currency_exponent("XYZ") == 2  # unknown: the common case


@pytest.mark.parametrize(
    ("minor", "currency", "lang", "shown"),
    [
        (1250, "CNY", "en", "CN¥12.50"),
        (1250, "CNY", "zh-CN", "¥12.50"),
        (120000, "JPY", "en", "¥120,000"),
        (120000, "JPY", "zh-CN", "JP¥120,000"),
        (123456789, "USD", "en", "$1,234,567.89"),
        (5, "EUR", "en", "€0.05"),
        (1234, "KWD", "en", "1.234 KWD"),
        (1250, "CHF", "zh-CN", "12.50 CHF"),
        (0, "CNY", "en", "CN¥0.00"),
    ],
)
def test_format_price(minor: int, currency: str, lang: str, shown: str) -> None:
    assert format_price(minor, currency, lang) == shown


@given(
    minor=st.integers(min_value=0, max_value=MAX_MINOR),
    currency=st.sampled_from(["CNY", "JPY", "KWD", "USD", "KRW"]),
)
def test_round_trip(minor: int, currency: str) -> None:
    assert parse_price(minor_to_decimal(minor, currency), currency) == minor

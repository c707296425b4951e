"""Our minor units and Stripe's agree, exactly, or the amount is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaycode.money import MoneyError
from relaycode.payments.stripe_money import from_stripe, stripe_exponent, to_stripe


@pytest.mark.parametrize(
    ("amount", "currency", "stripe"),
    [
        (1250, "CNY", 1250),  # 12.50 both ways
        (500, "JPY", 500),  # zero-decimal in both
        (1234, "KWD", 1234),  # three decimals in both
        (7, "ISK", 700),  # ISO: 0 decimals; Stripe: 2
        (300, "MGA", 3),  # ISO: 2; Stripe: 0
        (1230, "IQD", 123),  # ISO: 3; Stripe: 2
    ],
)
def test_conversions(amount: int, currency: str, stripe: int) -> None:
    assert to_stripe(amount, currency) == stripe
    assert from_stripe(stripe, currency) == amount


def test_inexact_amounts_are_refused() -> None:
    with pytest.raises(MoneyError):
        to_stripe(350, "MGA")  # 3.50 MGA has no Stripe form
    with pytest.raises(MoneyError):
        from_stripe(701, "ISK")


@given(st.integers(0, 10**12), st.sampled_from(["USD", "JPY", "KWD", "ISK", "EUR", "KRW"]))
def test_round_trip(amount: int, currency: str) -> None:
    assert from_stripe(to_stripe(amount, currency), currency) == amount
    assert stripe_exponent(currency) in (0, 2, 3)

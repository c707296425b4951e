"""Our minor units (ISO 4217, money.py) to Stripe's and back.

Stripe's "smallest currency unit" is not always ISO's: its zero-decimal list holds MGA
(ISO: 2 decimals), it takes ISK (ISO: 0) with two decimals, and it has no three-decimal
form of IQD or LYD. An amount that has no exact Stripe form (0.50 MGA) is refused, never
rounded. Source: Stripe's "Supported currencies" page (zero- and three-decimal lists).
"""

from __future__ import annotations

from relaycode.money import MoneyError, exponent

# fmt: off
_STRIPE_ZERO = frozenset(("BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG",
                          "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"))
# fmt: on
_STRIPE_THREE = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def stripe_exponent(currency: str) -> int:
    code = currency.upper()
    if code in _STRIPE_ZERO:
        return 0
    if code in _STRIPE_THREE:
        return 3
    return 2


def to_stripe(amount_minor: int, currency: str) -> int:
    """Our amount in Stripe's unit; ``MoneyError("not_representable")`` when inexact."""
    shift = stripe_exponent(currency) - exponent(currency)
    factor: int = 10 ** abs(shift)
    if shift >= 0:
        return amount_minor * factor
    if amount_minor % factor:
        raise MoneyError("not_representable")
    return amount_minor // factor


def from_stripe(amount: int, currency: str) -> int:
    """Stripe's amount in our minor units (exact: Stripe never has more digits than ISO
    except where we refused to send such an amount)."""
    shift = exponent(currency) - stripe_exponent(currency)
    factor: int = 10 ** abs(shift)
    if shift >= 0:
        return amount * factor
    if amount % factor:
        raise MoneyError("not_representable")
    return amount // factor

"""Retail barcode numbers (GTIN-8/12/13/14): check digit and normalisation to 14 digits."""

from __future__ import annotations

_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> int:
    """Mod-10 check digit over ``body`` (all digits but the last), weights 3,1 from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_gtin(text: str) -> str | None:
    """Return the GTIN as 14 digits if ``text`` is a valid GTIN, else None."""
    text = text.strip()
    if len(text) not in _LENGTHS or not text.isascii() or not text.isdigit():
        return None
    if gtin_check_digit(text[:-1]) != int(text[-1]):
        return None
    return text.zfill(14)

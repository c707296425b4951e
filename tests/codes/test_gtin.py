from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from relaycode.codes.gtin import gtin_check_digit, normalize_gtin


def test_known_numbers() -> None:
    assert normalize_gtin("4006381333931") == "04006381333931"  # EAN-13
    assert normalize_gtin("96385074") == "00000096385074"  # EAN-8
    assert normalize_gtin("4006381333932") is None
    assert normalize_gtin("12345") is None
    assert normalize_gtin("４００６３８１３３３９３１") is None  # full-width digits


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_generated_gtin13_validates_and_single_digit_errors_fail(body: str) -> None:
    full = body + str(gtin_check_digit(body))
    assert normalize_gtin(full) == full.zfill(14)
    for i in range(13):
        wrong = full[:i] + str((int(full[i]) + 1) % 10) + full[i + 1 :]
        assert normalize_gtin(wrong) is None

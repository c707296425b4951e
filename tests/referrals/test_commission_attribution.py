"""Attribution (which scanned code a sale is credited to) and the checks on rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaycode.referrals.commission_checks import rule_problems
from relaycode.referrals.commission_math import (
    CommissionError,
    CommissionRules,
    LevelRule,
    Touch,
    pick_attribution,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
touches_st = st.lists(
    st.builds(
        Touch,
        at=st.integers(-5 * 24, 60 * 24).map(lambda h: NOW - timedelta(hours=h)),
        code_id=st.sampled_from(["a" * 32, "b" * 32, "c" * 32, "d" * 32]),
    ),
    max_size=10,
)


@settings(max_examples=300, deadline=None)
@given(touches_st, st.integers(0, 40), st.sampled_from(["last_touch", "first_touch"]))
def test_the_chosen_code_is_the_latest_or_earliest_touch_in_the_window(
    touches: list[Touch], window: int, mode: str
) -> None:
    chosen = pick_attribution(touches, NOW, window, mode)  # type: ignore[arg-type]
    inside = [t for t in touches if NOW - timedelta(days=window) <= t.at <= NOW]
    if not inside:
        assert chosen is None
        return
    best = max(t.at for t in inside) if mode == "last_touch" else min(t.at for t in inside)
    assert chosen == min(t.code_id for t in inside if t.at == best)
    # The order the touches come in does not matter.
    assert pick_attribution(list(reversed(touches)), NOW, window, mode) == chosen  # type: ignore[arg-type]


def test_last_touch_by_default_first_touch_when_chosen() -> None:
    touches = [
        Touch(NOW - timedelta(days=20), "alice"),
        Touch(NOW - timedelta(days=3), "bob"),
        Touch(NOW - timedelta(days=45), "carol"),  # outside a 30-day window
        Touch(NOW + timedelta(minutes=5), "future"),  # a clock ahead: not yet
    ]
    assert pick_attribution(touches, NOW, 30) == "bob"
    assert pick_attribution(touches, NOW, 30, "first_touch") == "alice"
    assert pick_attribution(touches, NOW, 60, "first_touch") == "carol"
    assert pick_attribution(touches, NOW, 2) is None
    assert pick_attribution([], NOW, 30) is None
    with pytest.raises(CommissionError):
        pick_attribution(touches, NOW, 30, "middle_touch")  # type: ignore[arg-type]


def _codes(rules: CommissionRules) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in rule_problems(rules)]


def test_rules_a_merchant_may_set_and_may_not() -> None:
    good = CommissionRules(
        levels=(LevelRule(1000), LevelRule(500, 100)), max_depth=2, cap_minor=3000
    )
    assert _codes(good) == []
    assert _codes(replace(good, levels=(LevelRule(10_001),))) == [
        ("levels.1.percent_bp", "percent_out_of_range")
    ]
    assert _codes(replace(good, levels=(LevelRule(-1),))) == [
        ("levels.1.percent_bp", "percent_out_of_range")
    ]
    assert _codes(replace(good, levels=(LevelRule(6000), LevelRule(4000)))) == []
    assert _codes(replace(good, levels=(LevelRule(6000), LevelRule(4001)))) == [
        ("levels", "percent_total_over_100")
    ]
    assert _codes(replace(good, platform=LevelRule(8501))) == [("levels", "percent_total_over_100")]
    assert _codes(replace(good, max_depth=4)) == [("max_depth", "max_depth_over_cap")]
    assert _codes(replace(good, max_depth=4, operator_max_depth=5)) == []
    assert _codes(replace(good, max_depth=0)) == [
        ("max_depth", "max_depth_out_of_range"),
        ("levels", "too_many_levels"),
    ]
    assert _codes(replace(good, max_depth=1)) == [("levels", "too_many_levels")]
    assert _codes(replace(good, cap_minor=-1)) == [("cap_minor", "amount_out_of_range")]
    assert _codes(replace(good, min_order_minor=10**13)) == [
        ("min_order_minor", "amount_out_of_range")
    ]
    assert _codes(replace(good, levels=(LevelRule(0, -5),))) == [
        ("levels.1.fixed_minor", "amount_out_of_range")
    ]
    assert _codes(replace(good, window_days=0)) == [("window_days", "window_out_of_range")]
    assert _codes(replace(good, hold_days=366)) == [("hold_days", "hold_out_of_range")]
    assert _codes(replace(good, bind_mode="any")) == [("bind_mode", "bad_bind_mode")]  # type: ignore[arg-type]

"""Which commission rules a merchant may set: pure checks, each with a stable code.

The API answers the first problem as its error ``code`` (422) and lists all of them under
``details.problems``; the rules page shows each one beside its field.
"""

from __future__ import annotations

from dataclasses import dataclass

from relaycode.referrals.commission_math import (
    BIND_MODES,
    BP_PER_WHOLE,
    MAX_MINOR,
    CommissionRules,
    LevelRule,
)

MAX_WINDOW_DAYS = 365
MAX_HOLD_DAYS = 365
# Nobody may set more levels than this, whatever the operator allows (the form's rows).
MAX_LEVELS = 10


@dataclass(frozen=True)
class RuleProblem:
    field: str  # "levels.1.percent_bp", "max_depth", "platform.fixed_minor", ...
    code: str  # "percent_out_of_range", "max_depth_over_cap", ...


def _term_problems(name: str, rule: LevelRule) -> list[RuleProblem]:
    problems = []
    if not 0 <= rule.percent_bp <= BP_PER_WHOLE:
        problems.append(RuleProblem(f"{name}.percent_bp", "percent_out_of_range"))
    if not 0 <= rule.fixed_minor <= MAX_MINOR:
        problems.append(RuleProblem(f"{name}.fixed_minor", "amount_out_of_range"))
    return problems


def rule_problems(rules: CommissionRules) -> list[RuleProblem]:
    """Everything wrong with ``rules`` (empty when they may be saved). The percentages of
    the levels and the platform's add up to at most 100 %; ``max_depth`` is at least 1,
    at most the operator's cap, and no fewer than the levels given."""
    problems: list[RuleProblem] = []
    for n, rule in enumerate(rules.levels, start=1):
        problems += _term_problems(f"levels.{n}", rule)
    problems += _term_problems("platform", rules.platform)
    if not any(p.code == "percent_out_of_range" for p in problems):
        total = sum(r.percent_bp for r in rules.levels) + rules.platform.percent_bp
        if total > BP_PER_WHOLE:
            problems.append(RuleProblem("levels", "percent_total_over_100"))
    if rules.max_depth < 1:
        problems.append(RuleProblem("max_depth", "max_depth_out_of_range"))
    elif rules.max_depth > rules.operator_max_depth:
        problems.append(RuleProblem("max_depth", "max_depth_over_cap"))
    if len(rules.levels) > min(max(rules.max_depth, 1), MAX_LEVELS):
        problems.append(RuleProblem("levels", "too_many_levels"))
    if rules.cap_minor is not None and not 0 <= rules.cap_minor <= MAX_MINOR:
        problems.append(RuleProblem("cap_minor", "amount_out_of_range"))
    if not 0 <= rules.min_order_minor <= MAX_MINOR:
        problems.append(RuleProblem("min_order_minor", "amount_out_of_range"))
    if not 1 <= rules.window_days <= MAX_WINDOW_DAYS:
        problems.append(RuleProblem("window_days", "window_out_of_range"))
    if not 0 <= rules.hold_days <= MAX_HOLD_DAYS:
        problems.append(RuleProblem("hold_days", "hold_out_of_range"))
    if rules.bind_mode not in BIND_MODES:
        problems.append(RuleProblem("bind_mode", "bad_bind_mode"))
    return problems

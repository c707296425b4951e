"""Commission arithmetic: properties that hold for any sale, chain and rules (Hypothesis),
and examples with numbers a merchant would recognise."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from relaycode.referrals.commission_math import (
    BLOCK_REASONS,
    CommissionResult,
    CommissionRules,
    LevelRule,
    Referrer,
    SaleFacts,
    compute_commissions,
    refund_reversals,
    share_limit,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
BUYER = 1

levels = st.builds(
    LevelRule,
    percent_bp=st.integers(0, 10_000),
    fixed_minor=st.one_of(st.just(0), st.integers(0, 10**6)),
)
rules_st = st.builds(
    CommissionRules,
    currency=st.sampled_from(["CNY", "CNY", "USD"]),
    levels=st.lists(levels, max_size=6).map(tuple),
    max_depth=st.integers(1, 7),
    operator_max_depth=st.integers(1, 5),
    cap_minor=st.one_of(st.none(), st.integers(0, 10**7)),
    min_order_minor=st.one_of(st.just(0), st.integers(0, 10**5)),
    first_purchase_only=st.booleans(),
    window_days=st.integers(1, 60),
    platform=st.one_of(st.just(LevelRule()), levels),
)
devices = st.frozensets(st.integers(1, 12), max_size=2)
chain_st = st.lists(
    st.builds(
        Referrer,
        user_id=st.integers(1, 15),
        devices=devices,
        account_closed=st.integers(0, 5).map(lambda n: n == 0),
    ),
    max_size=8,
)
sale_st = st.builds(
    SaleFacts,
    amount_minor=st.one_of(st.integers(0, 100), st.integers(0, 10**10)),
    currency=st.sampled_from(["CNY", "CNY", "USD"]),
    buyer_user_id=st.just(BUYER),
    buyer_devices=devices,
    first_purchase=st.booleans(),
    touched_at=st.one_of(
        st.none(), st.integers(0, 90 * 24).map(lambda h: NOW - timedelta(hours=h))
    ),
    ordered_at=st.just(NOW),
)


def _sale_reason(sale: SaleFacts, rules: CommissionRules) -> str | None:
    """The sale-wide reason, restated from the specification."""
    if sale.touched_at is not None and NOW - sale.touched_at > timedelta(days=rules.window_days):
        return "outside_window"
    if rules.has_absolute_amounts and sale.currency != rules.currency:
        return "currency_mismatch"
    if rules.first_purchase_only and not sale.first_purchase:
        return "not_first_purchase"
    if sale.amount_minor < rules.min_order_minor:
        return "below_minimum"
    return None


@settings(max_examples=400, deadline=None)
@given(sale_st, chain_st, rules_st)
def test_totals_are_bounded_and_splits_are_sane(
    sale: SaleFacts, chain: list[Referrer], rules: CommissionRules
) -> None:
    result = compute_commissions(sale, chain, rules)
    assert result.total_minor <= sale.amount_minor
    if rules.cap_minor is not None:
        assert result.total_minor <= rules.cap_minor
    assert result.merchant_minor >= 0
    assert result.total_minor + result.merchant_minor == sale.amount_minor
    for split in result.splits:
        assert 0 <= split.amount_minor <= split.rule_minor
    limit = min(sale.amount_minor, rules.cap_minor if rules.cap_minor is not None else 10**30)
    wanted = sum(s.rule_minor for s in result.splits)
    if result.capped:
        assert result.total_minor == limit  # the cap is shared out to the last minor unit
    else:
        assert result.total_minor == wanted
        for split in result.splits:
            rule = rules.platform if split.level == 0 else rules.level(split.level)
            assert split.amount_minor == sale.amount_minor * rule.percent_bp // 10_000 + (
                rule.fixed_minor
            )


@settings(max_examples=400, deadline=None)
@given(sale_st, chain_st, rules_st)
def test_depth_and_blocked_reasons(
    sale: SaleFacts, chain: list[Referrer], rules: CommissionRules
) -> None:
    result = compute_commissions(sale, chain, rules)
    depth = min(rules.max_depth, rules.operator_max_depth)
    referrer_splits = [s for s in result.splits if s.beneficiary == "referrer"]
    assert all(1 <= s.level <= depth for s in referrer_splits)
    assert all(b.reason in BLOCK_REASONS for b in result.blocked)
    # Every level of the chain is either paid, blocked with one reason, or has no rule.
    paid = {s.level for s in referrer_splits}
    blocked = {b.level: b.reason for b in result.blocked if b.beneficiary == "referrer"}
    assert not paid & set(blocked)
    assert Counter(b.level for b in result.blocked)[0] <= 1
    sale_reason = _sale_reason(sale, rules)
    users_before: set[int] = set()
    devices_before: set[int] = set()
    for level, ref in enumerate(chain, start=1):
        if sale_reason is not None:
            expected: str | None = sale_reason
        elif level > depth:
            expected = "beyond_max_depth"
        elif ref.user_id == BUYER or ref.devices & sale.buyer_devices:
            expected = "self_referral"
        elif ref.user_id in users_before or ref.devices & devices_before:
            expected = "loop"
        elif ref.account_closed:
            expected = "account_closed"
        else:
            expected = None
        assert blocked.get(level) == expected, (level, ref)
        if expected is None:
            assert (level in paid) == (not rules.level(level).is_zero)
        users_before.add(ref.user_id)
        devices_before |= ref.devices
    # Nobody is paid twice, nor the buyer, nor a closed account.
    paid_users = [s.user_id for s in referrer_splits]
    assert len(paid_users) == len(set(paid_users)) and BUYER not in paid_users
    platform = [s for s in result.splits if s.beneficiary == "platform"]
    assert len(platform) == (0 if rules.platform.is_zero or sale_reason else 1)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10**9), max_size=8), st.integers(0, 10**10))
def test_sharing_a_limit_loses_and_creates_nothing(wanted: list[int], limit: int) -> None:
    shares = share_limit(wanted, limit)
    assert len(shares) == len(wanted)
    assert sum(shares) == min(sum(wanted), limit)
    assert all(0 <= s <= w for s, w in zip(shares, wanted, strict=True))


@st.composite
def refunded_sales(draw: st.DrawFn) -> tuple[CommissionResult, list[int]]:
    """A computed sale and a sequence of partial refunds that refund it in full."""
    sale = draw(sale_st)
    result = compute_commissions(sale, draw(chain_st), draw(rules_st))
    amount = sale.amount_minor
    cuts = sorted(draw(st.lists(st.integers(0, amount), max_size=6)))
    points = [0, *cuts, amount]
    return result, [b - a for a, b in itertools.pairwise(points)]


@settings(max_examples=300, deadline=None)
@given(refunded_sales())
def test_partial_refunds_reverse_exactly(case: tuple[CommissionResult, list[int]]) -> None:
    result, refunds = case
    splits = [s.amount_minor for s in result.splits]
    reversed_so_far = [0] * len(splits)
    refunded = 0
    for refund in refunds:
        step = refund_reversals(splits, result.amount_minor, refunded, refund)
        for i, r in enumerate(step):
            assert 0 <= r <= splits[i] - reversed_so_far[i]  # never more than remains
            reversed_so_far[i] += r
        refunded += refund
        # The path does not matter: the same as one refund of everything so far.
        assert reversed_so_far == list(refund_reversals(splits, result.amount_minor, 0, refunded))
    assert reversed_so_far == splits  # after the full refund, every split is reversed


@settings(max_examples=200, deadline=None)
@given(refunded_sales(), st.integers(0, 10**6))
def test_a_full_refund_returns_every_balance(
    case: tuple[CommissionResult, list[int]], start: int
) -> None:
    """A toy ledger: the buyer pays, the splits are paid from the merchant's takings,
    then the refunds flow back. Nothing is created at any step; at the end every
    balance is where it started."""
    result, refunds = case
    amount = result.amount_minor
    balances: Counter[str] = Counter({"buyer": start, "merchant": start, "platform": start})
    for split in result.splits:
        balances[f"user{split.user_id}"] += start
    initial = dict(balances)
    balances["buyer"] -= amount
    balances["merchant"] += amount
    names = [f"user{s.user_id}" if s.user_id else "platform" for s in result.splits]
    for name, split in zip(names, result.splits, strict=True):
        balances["merchant"] -= split.amount_minor
        balances[name] += split.amount_minor
    assert sum(balances.values()) == sum(initial.values())
    refunded = 0
    splits = [s.amount_minor for s in result.splits]
    for refund in refunds:
        balances["merchant"] -= refund
        balances["buyer"] += refund
        for name, back in zip(
            names, refund_reversals(splits, amount, refunded, refund), strict=True
        ):
            balances[name] -= back
            balances["merchant"] += back
        refunded += refund
        assert sum(balances.values()) == sum(initial.values())
        # Referrers never hold more than what is left of the sale: the merchant is never
        # out of pocket, even when commissions are close to 100 %.
        assert balances["merchant"] >= start
    assert dict(balances) == initial


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**6), st.lists(st.integers(0, 10**6), min_size=1, max_size=5), st.data())
def test_referrers_never_hold_more_than_the_sale_still_brings(
    amount: int, weights: list[int], data: st.DataObject
) -> None:
    """Splits that take up to all of the sale (a 100 % rule) and any partial refund: what
    the referrers keep is never more than what is left of the order."""
    splits = list(share_limit([w * amount for w in weights], amount)) if any(weights) else [0]
    refunded = data.draw(st.integers(0, amount))
    kept = sum(
        s - r for s, r in zip(splits, refund_reversals(splits, amount, 0, refunded), strict=True)
    )
    assert 0 <= kept <= amount - refunded


# ---- examples a merchant would recognise ----------------------------------------------

TEN_AND_FIVE = CommissionRules(
    levels=(LevelRule(percent_bp=1000), LevelRule(percent_bp=500)), max_depth=2
)
ALICE, BOB, CAROL = Referrer(10, frozenset({100})), Referrer(11, frozenset({101})), Referrer(12)


def _sale(amount: int = 19_900, **kw: object) -> SaleFacts:
    return SaleFacts(amount_minor=amount, currency="CNY", buyer_user_id=BUYER,
                     buyer_devices=frozenset({1}), **kw)  # type: ignore[arg-type]  # fmt: skip


def _amounts(result: CommissionResult) -> list[tuple[int, int]]:
    return [(s.level, s.amount_minor) for s in result.splits]


def _reasons(result: CommissionResult) -> list[tuple[int, str]]:
    return [(b.level, b.reason) for b in result.blocked]


def test_ten_percent_and_five_percent_on_199_yuan() -> None:
    result = compute_commissions(_sale(), [ALICE, BOB], TEN_AND_FIVE)
    assert _amounts(result) == [(1, 1990), (2, 995)]  # ¥19.90 and ¥9.95
    assert result.merchant_minor == 16_915 and not result.capped


def test_a_third_sharer_is_beyond_the_depth() -> None:
    result = compute_commissions(_sale(), [ALICE, BOB, CAROL], TEN_AND_FIVE)
    assert _amounts(result) == [(1, 1990), (2, 995)]
    assert _reasons(result) == [(3, "beyond_max_depth")]


def test_the_operator_cap_clips_the_merchants_depth() -> None:
    rules = CommissionRules(levels=(LevelRule(1000),) * 3, max_depth=5, operator_max_depth=2)
    result = compute_commissions(_sale(), [ALICE, BOB, CAROL], rules)
    assert _amounts(result) == [(1, 1990), (2, 1990)]
    assert _reasons(result) == [(3, "beyond_max_depth")]


def test_a_cap_per_sale_is_shared_in_proportion() -> None:
    rules = CommissionRules(levels=TEN_AND_FIVE.levels, max_depth=2, cap_minor=2500)
    result = compute_commissions(_sale(), [ALICE, BOB], rules)
    # 1990 : 995 of ¥25.00 is 1666.67 : 833.33; the odd fen goes to the larger remainder.
    assert _amounts(result) == [(1, 1667), (2, 833)] and result.capped
    assert result.total_minor == 2500


def test_fixed_amounts_percentages_and_the_platform() -> None:
    rules = CommissionRules(
        levels=(LevelRule(percent_bp=500, fixed_minor=300),), platform=LevelRule(percent_bp=100)
    )
    result = compute_commissions(_sale(), [ALICE], rules)
    assert [(s.beneficiary, s.amount_minor) for s in result.splits] == [
        ("referrer", 995 + 300),
        ("platform", 199),
    ]


def test_fractions_of_a_fen_stay_with_the_merchant() -> None:
    rules = CommissionRules(levels=(LevelRule(percent_bp=1250),))  # 12.5 %
    result = compute_commissions(_sale(99), [ALICE], rules)  # ¥0.99 → 12.375 fen
    assert _amounts(result) == [(1, 12)] and result.merchant_minor == 87


def test_yen_have_no_minor_unit_and_that_changes_nothing() -> None:
    rules = CommissionRules(currency="JPY", levels=(LevelRule(1000),))
    sale = SaleFacts(amount_minor=1999, currency="JPY", buyer_user_id=BUYER)
    assert _amounts(compute_commissions(sale, [ALICE], rules)) == [(1, 199)]


def test_blocked_reasons() -> None:
    one = CommissionRules(levels=(LevelRule(1000),) * 3, max_depth=3, min_order_minor=5000)
    me = Referrer(BUYER)
    my_phone = Referrer(20, frozenset({1}))
    closed = Referrer(21, account_closed=True)
    result = compute_commissions(_sale(), [me, ALICE, ALICE], one)
    assert _reasons(result) == [(1, "self_referral"), (3, "loop")]
    assert _amounts(result) == [(2, 1990)]  # Alice keeps level 2: nobody moves down
    assert _reasons(compute_commissions(_sale(), [my_phone, closed], one)) == [
        (1, "self_referral"),
        (2, "account_closed"),
    ]
    twin = Referrer(22, frozenset({100}))  # a second account on Alice's phone
    assert _reasons(compute_commissions(_sale(), [ALICE, twin], one)) == [(2, "loop")]
    assert _reasons(compute_commissions(_sale(4999), [ALICE], one)) == [(1, "below_minimum")]
    first = CommissionRules(levels=(LevelRule(1000),), first_purchase_only=True)
    again = compute_commissions(_sale(first_purchase=False), [ALICE], first)
    assert _reasons(again) == [(1, "not_first_purchase")] and again.splits == ()
    late = _sale(touched_at=NOW - timedelta(days=31), ordered_at=NOW)
    assert _reasons(compute_commissions(late, [ALICE], TEN_AND_FIVE)) == [(1, "outside_window")]
    fine = _sale(touched_at=NOW - timedelta(days=30), ordered_at=NOW)
    assert _amounts(compute_commissions(fine, [ALICE], TEN_AND_FIVE)) == [(1, 1990)]
    fixed = CommissionRules(currency="USD", levels=(LevelRule(fixed_minor=500),))
    assert _reasons(compute_commissions(_sale(), [ALICE], fixed)) == [(1, "currency_mismatch")]
    # Percentages alone mean the same in any currency.
    percent = CommissionRules(currency="USD", levels=(LevelRule(1000),))
    assert _amounts(compute_commissions(_sale(), [ALICE], percent)) == [(1, 1990)]


def test_refunding_199_yuan_in_two_halves() -> None:
    splits = [1990, 995]
    first = refund_reversals(splits, 19_900, 0, 9_950)
    second = refund_reversals(splits, 19_900, 9_950, 9_950)
    assert first == (995, 498) and second == (995, 497)  # the odd fen back first
    assert [a + b for a, b in zip(first, second, strict=True)] == splits

"""Commission arithmetic (S685, [0097], [0100]): pure functions on integers, no I/O.

Given a sale, the chain of referrers resolved when it was ordered (nearest first) and the
merchant's effective rules, ``compute_commissions`` says who earns what, and which levels
earn nothing and why. ``refund_reversals`` takes a refund back out of those splits in
proportion, and ``pick_attribution`` chooses which scanned code a sale is credited to.

Money is integer minor units (``money.py``); percentages are basis points (1 % = 100 bp).
The rules' absolute amounts (fixed per level, the cap, the minimum order) are in the
rules' currency: a sale in another currency earns nothing (``currency_mismatch``)
rather than a fixed "5.00" read as yen or as dollars.

Rounding, all in integers:

1. each level earns ``floor(amount × bp / 10000) + fixed`` (the fraction stays with the
   merchant, who keeps ``amount − total``: every minor unit is somebody's);
2. when those add up to more than the limit, ``min(cap, amount)``, the limit is shared in
   proportion to them by the largest-remainder method (ties to the nearer level, the
   platform last): the total is then exactly the limit, and no split grows.

Blocked levels: for each entry of the chain (level = its position, 1 nearest; a blocked
level does not move the ones above it down), the first reason that holds, in this order:
the sale-wide ``outside_window``, ``currency_mismatch``, ``not_first_purchase``,
``below_minimum``; then ``beyond_max_depth``, ``self_referral`` (the buyer, by account or
by a shared device), ``loop`` (an account, or a device, already nearer in the chain) and
``account_closed``. The platform's commission is a rule like the levels: it is blocked by
the sale-wide reasons only, and recorded as level 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, get_args

BP_PER_WHOLE = 10_000  # basis points in 100 %
MAX_MINOR = 10**12  # the largest amount anywhere (money.MAX_MINOR)
DEFAULT_OPERATOR_MAX_DEPTH = 3  # RELAYCODE_COMMISSION_MAX_DEPTH
PLATFORM_LEVEL = 0

BeneficiaryKind = Literal["referrer", "platform"]
BindMode = Literal["last_touch", "first_touch"]
BlockReason = Literal[
    "outside_window",
    "currency_mismatch",
    "not_first_purchase",
    "below_minimum",
    "beyond_max_depth",
    "self_referral",
    "loop",
    "account_closed",
]
BIND_MODES: tuple[BindMode, ...] = get_args(BindMode)
BLOCK_REASONS: tuple[BlockReason, ...] = get_args(BlockReason)


class CommissionError(ValueError):
    """Arguments no sale can have (a negative amount, a refund beyond the order)."""


@dataclass(frozen=True)
class LevelRule:
    """What one beneficiary earns: a percentage of the sale and/or a fixed amount."""

    percent_bp: int = 0
    fixed_minor: int = 0

    @property
    def is_zero(self) -> bool:
        return self.percent_bp == 0 and self.fixed_minor == 0

    def earns(self, amount_minor: int) -> int:
        """Before any cap: ``floor(amount × bp / 10000) + fixed``."""
        return amount_minor * self.percent_bp // BP_PER_WHOLE + self.fixed_minor


@dataclass(frozen=True)
class CommissionRules:
    """The rules in force for one offer (a merchant's, or the offer's own override).

    ``levels[0]`` is level 1. ``max_depth`` is the merchant's choice and
    ``operator_max_depth`` the operator's hard cap; ``depth`` is the smaller. Levels within
    the depth with no rule of their own earn nothing (and are not "blocked")."""

    currency: str = "CNY"
    levels: tuple[LevelRule, ...] = ()
    max_depth: int = 1
    operator_max_depth: int = DEFAULT_OPERATOR_MAX_DEPTH
    cap_minor: int | None = None
    min_order_minor: int = 0
    first_purchase_only: bool = False
    window_days: int = 30
    bind_mode: BindMode = "last_touch"
    hold_days: int = 7
    platform: LevelRule = field(default_factory=LevelRule)

    @property
    def depth(self) -> int:
        return max(0, min(self.max_depth, self.operator_max_depth))

    def level(self, n: int) -> LevelRule:
        """The rule of level ``n`` (1 = nearest); a zero rule past those defined."""
        return self.levels[n - 1] if 1 <= n <= len(self.levels) else LevelRule()

    @property
    def has_absolute_amounts(self) -> bool:
        """Whether any term is an amount of money (and so depends on the currency)."""
        fixed = any(r.fixed_minor for r in (*self.levels, self.platform))
        return bool(fixed or self.cap_minor is not None or self.min_order_minor)


@dataclass(frozen=True)
class SaleFacts:
    """What the rules look at in an order. ``touched_at``: when the buyer scanned the code
    the sale is credited to (``None`` when the order was placed through it just now)."""

    amount_minor: int
    currency: str
    buyer_user_id: int
    buyer_devices: frozenset[int] = frozenset()
    first_purchase: bool = True
    touched_at: datetime | None = None
    ordered_at: datetime | None = None


@dataclass(frozen=True)
class Referrer:
    """One sharer in the chain: their account, the devices they are known by (at least
    the one the share was made on), and whether the account is closed."""

    user_id: int
    devices: frozenset[int] = frozenset()
    account_closed: bool = False


@dataclass(frozen=True)
class Split:
    """A commission: ``amount_minor`` after the cap; ``rule_minor`` what the rule gave."""

    beneficiary: BeneficiaryKind
    level: int  # 1 = nearest referrer; PLATFORM_LEVEL (0) for the platform
    user_id: int | None  # None for the platform
    amount_minor: int
    rule_minor: int


@dataclass(frozen=True)
class Blocked:
    beneficiary: BeneficiaryKind
    level: int
    user_id: int | None
    reason: BlockReason


@dataclass(frozen=True)
class CommissionResult:
    amount_minor: int
    splits: tuple[Split, ...]
    blocked: tuple[Blocked, ...]
    capped: bool  # the rules gave more than min(cap, amount)

    @property
    def total_minor(self) -> int:
        return sum(s.amount_minor for s in self.splits)

    @property
    def merchant_minor(self) -> int:
        """What the merchant keeps of the sale: ``amount − total``, never negative."""
        return self.amount_minor - self.total_minor


def within_window(touched_at: datetime, now: datetime, window_days: int) -> bool:
    """``touched_at`` in ``[now − window_days, now]`` (both ends included)."""
    return now - timedelta(days=window_days) <= touched_at <= now


def _sale_reason(sale: SaleFacts, rules: CommissionRules) -> BlockReason | None:
    touched, ordered = sale.touched_at, sale.ordered_at
    if touched and ordered and not within_window(touched, ordered, rules.window_days):
        return "outside_window"
    if rules.has_absolute_amounts and sale.currency.upper() != rules.currency.upper():
        return "currency_mismatch"
    if rules.first_purchase_only and not sale.first_purchase:
        return "not_first_purchase"
    if sale.amount_minor < rules.min_order_minor:
        return "below_minimum"
    return None


def _chain_reasons(
    sale: SaleFacts, chain: Sequence[Referrer], rules: CommissionRules
) -> list[BlockReason | None]:
    """The reason each entry of the chain earns nothing, or None where it may earn."""
    seen_users: set[int] = set()
    seen_devices: set[int] = set()
    reasons: list[BlockReason | None] = []
    for level, ref in enumerate(chain, start=1):
        reason: BlockReason | None = None
        if level > rules.depth:
            reason = "beyond_max_depth"
        elif ref.user_id == sale.buyer_user_id or ref.devices & sale.buyer_devices:
            reason = "self_referral"
        elif ref.user_id in seen_users or ref.devices & seen_devices:
            reason = "loop"
        elif ref.account_closed:
            reason = "account_closed"
        reasons.append(reason)
        seen_users.add(ref.user_id)
        seen_devices |= ref.devices
    return reasons


def share_limit(wanted: Sequence[int], limit: int) -> tuple[int, ...]:
    """``wanted`` when it fits in ``limit``; else ``limit`` shared in proportion to it
    (largest remainder, ties to the lower index): sums to ``limit``, none grows."""
    total = sum(wanted)
    if total <= limit:
        return tuple(wanted)
    shares = [w * limit // total for w in wanted]
    remainders = [w * limit % total for w in wanted]
    left = limit - sum(shares)
    order = sorted(range(len(wanted)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        shares[i] += 1
    return tuple(shares)


def _check_rules(rules: CommissionRules) -> None:
    terms = (*rules.levels, rules.platform)
    if any(r.percent_bp < 0 or r.fixed_minor < 0 for r in terms):
        raise CommissionError("a rule earns a negative amount")
    if (rules.cap_minor is not None and rules.cap_minor < 0) or rules.min_order_minor < 0:
        raise CommissionError("a negative cap or minimum order")


def compute_commissions(
    sale: SaleFacts, chain: Sequence[Referrer], rules: CommissionRules
) -> CommissionResult:
    """Who earns what on ``sale`` (see the module's docstring for every rule)."""
    if sale.amount_minor < 0:
        raise CommissionError("a sale of a negative amount")
    _check_rules(rules)
    sale_reason = _sale_reason(sale, rules)
    blocked: list[Blocked] = []
    earners: list[tuple[BeneficiaryKind, int, int | None, int]] = []
    reasons = _chain_reasons(sale, chain, rules)
    for level, (ref, reason) in enumerate(zip(chain, reasons, strict=True), start=1):
        reason = sale_reason or reason
        if reason is not None:
            blocked.append(Blocked("referrer", level, ref.user_id, reason))
        elif not rules.level(level).is_zero:
            earned = rules.level(level).earns(sale.amount_minor)
            earners.append(("referrer", level, ref.user_id, earned))
    if not rules.platform.is_zero:
        if sale_reason is not None:
            blocked.append(Blocked("platform", PLATFORM_LEVEL, None, sale_reason))
        else:
            earned = rules.platform.earns(sale.amount_minor)
            earners.append(("platform", PLATFORM_LEVEL, None, earned))
    wanted = [e[3] for e in earners]
    limit = sale.amount_minor
    if rules.cap_minor is not None:
        limit = min(rules.cap_minor, limit)
    amounts = share_limit(wanted, limit)
    splits = tuple(
        Split(kind, level, user, amount, rule_minor)
        for (kind, level, user, rule_minor), amount in zip(earners, amounts, strict=True)
    )
    return CommissionResult(sale.amount_minor, splits, tuple(blocked), sum(wanted) > limit)


def reversed_by(split_minor: int, order_minor: int, refunded_minor: int) -> int:
    """How much of a split stands reversed once ``refunded_minor`` of the order is:
    ``ceil(split × refunded / order)``, so a full refund reverses all of it. Rounded up,
    so that what referrers still hold never exceeds what the sale still brings in: the
    merchant is never out of pocket after a partial refund."""
    if order_minor == 0:
        return 0
    return -(-split_minor * refunded_minor // order_minor)


def refund_reversals(
    split_amounts: Sequence[int], order_minor: int, refunded_minor: int, refund_minor: int
) -> tuple[int, ...]:
    """What a new refund of ``refund_minor`` takes back from each split, when
    ``refunded_minor`` of the order was refunded before.

    Each reversal is the difference of ``reversed_by`` after and before, so successive
    partial refunds add up to exactly the same as one refund of their sum, never take back
    more than remains, and after a full refund every split is reversed exactly."""
    if order_minor < 0 or refunded_minor < 0 or refund_minor < 0:
        raise CommissionError("negative amounts")
    if refunded_minor + refund_minor > order_minor:
        raise CommissionError("a refund beyond the order's amount")
    if any(s < 0 for s in split_amounts):
        raise CommissionError("a negative split")
    after = refunded_minor + refund_minor
    return tuple(
        reversed_by(s, order_minor, after) - reversed_by(s, order_minor, refunded_minor)
        for s in split_amounts
    )


@dataclass(frozen=True)
class Touch:
    """The buyer scanned the share code ``code_id`` of this offer at ``at``."""

    at: datetime
    code_id: str


def pick_attribution(
    touches: Iterable[Touch], now: datetime, window_days: int, bind_mode: BindMode = "last_touch"
) -> str | None:
    """The code whose chain a sale at ``now`` is credited to: of the touches within the
    window (``within_window``), the latest (``last_touch``) or the earliest
    (``first_touch``); equal times go to the smaller code id. ``None``: no touch counts."""
    if bind_mode not in BIND_MODES:
        raise CommissionError(f"unknown bind mode {bind_mode!r}")
    if window_days < 0:
        raise CommissionError("a negative window")
    inside = [t for t in touches if within_window(t.at, now, window_days)]
    if not inside:
        return None
    best = max(t.at for t in inside) if bind_mode == "last_touch" else min(t.at for t in inside)
    return min(t.code_id for t in inside if t.at == best)

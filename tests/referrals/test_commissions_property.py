"""Property, against the real database: whatever the rules, the chain, the hold and the
partial refunds, refunding an order in full puts every ledger balance back where it was
before the order was paid (the buyer's wallet holds the granted money again), every
commission ends reversed, and ``ledger check`` passes after each step."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from commission_support import (
    balances,
    later,
    ledger_ok,
    make_shop,
    pay_order,
    refund_order,
    rows,
    rules,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relaycode.config import Settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.referrals import commissions
from relaycode.referrals.commission_math import LevelRule

PEOPLE = ("alice", "bob", "carol", "dave", "buyer")
_shops = itertools.count()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(make_engine(settings.resolved_database_url))
    yield database
    database.dispose()


def _parts(draw: st.DrawFn, amount: int) -> list[int]:
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, amount - 1)), max_size=4))))
    points = [0, *(c for c in cuts if c < amount), amount]
    return [b - a for a, b in itertools.pairwise(points) if b > a]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[int], int, int, list[str], int, bool, list[int]]:
    percents = draw(st.lists(st.integers(0, 3000), min_size=1, max_size=3))
    platform = draw(st.integers(0, 1000))
    cap = draw(st.integers(0, 5000))
    chain = draw(st.lists(st.sampled_from(PEOPLE), max_size=4))
    amount = draw(st.integers(1, 50_000))
    release = draw(st.booleans())
    return percents, platform, cap, chain, amount, release, _parts(draw, amount)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_full_refund_returns_every_balance(
    db: Database, case: tuple[list[int], int, int, list[str], int, bool, list[int]]
) -> None:
    percents, platform, cap, chain, amount, release, parts = case
    tag = f"p{next(_shops)}"
    shop = make_shop(
        db,
        rules(*percents, platform=LevelRule(platform), cap_minor=cap, hold_days=0),
        people=PEOPLE,
        tag=tag,
    )
    with db.transaction() as s:
        before = balances(s)
    with db.transaction() as s:
        oid = pay_order(s, shop, "buyer", chain, amount).id
    ledger_ok(db)
    if release:
        with db.transaction() as s:
            while commissions.release_due(s, now=later(0.01)):
                pass
    for part in parts:
        with db.transaction() as s:
            refund_order(s, oid, part)
        ledger_ok(db)
    with db.transaction() as s:
        after = balances(s)
        assert all(c.status in ("reversed", "blocked") for c in rows(s, oid))
    buyer = ("user_wallet", f"user:{shop.users['buyer']}")
    grants = ("platform_grants", "platform")
    expected = dict(before)
    expected[buyer] = before.get(buyer, 0) + amount
    expected[grants] = before.get(grants, 0) - amount
    assert {k: v for k, v in after.items() if v or expected.get(k)} == {
        k: v for k, v in expected.items() if v
    }

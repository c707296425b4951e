"""Releases and refunds of the same commissions at once, each racer in its own session
and connection: whatever wins each row, every commission ends reversed, no commission
account keeps a unit, no account goes negative, and the ledger checks out."""

from __future__ import annotations

from collections import Counter
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
from live import race

from relaycode.config import Settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.referrals import commissions

ORDERS = 12


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(make_engine(settings.resolved_database_url))
    yield database
    database.dispose()


def test_releases_racing_refunds(db: Database) -> None:
    shop = make_shop(db, rules(1000, 500, hold_days=0), people=("alice", "bob", "buyer"))
    with db.transaction() as s:
        ids = [pay_order(s, shop, "buyer", ["alice", "bob"], 1_000 + i).id for i in range(ORDERS)]

    def work(i: int) -> str:
        if i % 2:  # half the racers release (batches of two, so they interleave)
            more = True
            while more:  # one transaction per batch, as release_runner does
                with db.transaction() as s:
                    more = commissions.release_due(s, now=later(0.01), limit=2) == 2
            return "released"
        with db.transaction() as s:
            refund_order(s, ids[i // 2], 1_000 + i // 2)
        return "refunded"

    results = Counter(race(2 * ORDERS, work))
    assert results == {"released": ORDERS, "refunded": ORDERS}
    with db.transaction() as s:
        assert all(c.status == "reversed" for oid in ids for c in rows(s, oid))
        left = {k: v for k, v in balances(s).items() if k[0].startswith("commissions") and v}
    assert left == {}
    ledger_ok(db)

"""``get_for_update`` and ``get_many_for_update`` with real concurrent transactions.

Each racer is a thread with its own session and connection (no server in between):
a read-modify-write under the lock never loses an update, and rows locked in any
order of ids never deadlock, because the helper always locks in primary-key order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live import race

from relaycode.config import Settings
from relaycode.db.engine import make_engine
from relaycode.db.locking import LockingError, get_for_update, get_many_for_update
from relaycode.db.session import Database
from relaycode.models import Merchant, Offer

RACERS = 12
ROUNDS = 5


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(make_engine(settings.resolved_database_url))
    yield database
    database.dispose()


def _offers(db: Database, n: int) -> list[int]:
    with db.transaction() as s:
        merchant = Merchant(slug="locks", name="Locks")
        s.add(merchant)
        s.flush()
        offers = [Offer(merchant_id=merchant.id, title=f"o{i}") for i in range(n)]
        s.add_all(offers)
        s.flush()
        return [o.id for o in offers]


def _version(db: Database, offer_id: int) -> int:
    with db.transaction() as s:
        offer = s.get(Offer, offer_id)
        assert offer is not None
        return offer.version


def test_read_modify_write_under_the_lock_loses_nothing(db: Database) -> None:
    (offer_id,) = _offers(db, 1)

    def bump(_i: int) -> None:
        for _ in range(ROUNDS):
            with db.transaction() as s:
                offer = get_for_update(s, Offer, offer_id)
                assert offer is not None
                offer.version = offer.version + 1

    race(RACERS, bump)
    assert _version(db, offer_id) == 1 + RACERS * ROUNDS


def test_locking_many_rows_in_any_order_never_deadlocks(db: Database) -> None:
    """Half the racers ask for (a, b), half for (b, a); both rows change every time."""
    a, b = _offers(db, 2)

    def bump_both(i: int) -> None:
        ids = [a, b] if i % 2 else [b, a]
        for _ in range(ROUNDS):
            with db.transaction() as s:
                rows = get_many_for_update(s, Offer, ids)
                assert [o.id for o in rows] == sorted(ids)
                for o in rows:
                    o.version += 1

    race(RACERS, bump_both)
    assert _version(db, a) == _version(db, b) == 1 + RACERS * ROUNDS


def test_lock_rereads_a_row_already_in_the_session(db: Database) -> None:
    """What was loaded before the lock is stale; the locked row is what counts."""
    if db.is_sqlite:
        pytest.skip("SQLite: a writable transaction holds the write lock from its start")
    (offer_id,) = _offers(db, 1)
    with db.transaction() as s:
        stale = s.get(Offer, offer_id)
        assert stale is not None and stale.version == 1
        with db.transaction() as other:  # someone else commits a change meanwhile
            row = other.get(Offer, offer_id)
            assert row is not None
            row.version = 7
        locked = get_for_update(s, Offer, offer_id)
        assert locked is stale and locked.version == 7


def test_missing_rows(db: Database) -> None:
    (offer_id,) = _offers(db, 1)
    with db.transaction() as s:
        assert get_for_update(s, Offer, offer_id + 1000) is None
        assert [o.id for o in get_many_for_update(s, Offer, [offer_id + 1000, offer_id])] == [
            offer_id
        ]
        assert get_many_for_update(s, Offer, []) == []


def test_a_read_only_transaction_cannot_lock(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL locks rows in any transaction; the guard is SQLite's")
    (offer_id,) = _offers(db, 1)
    with db.read_transaction() as s, pytest.raises(LockingError):
        get_for_update(s, Offer, offer_id)

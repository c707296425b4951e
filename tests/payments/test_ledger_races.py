"""The ledger under real concurrency: threads, each with its own session and connection.

On PostgreSQL the postings race for row locks (``SELECT … FOR UPDATE`` in primary-key
order) and for the unique idempotency key; on SQLite for the one writer. Either way: no
balance that must stay positive ever goes negative, exactly what fits is paid, opposite
transfers never deadlock, and one key moves money once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from live import race

from relaycode.db.session import Database
from relaycode.errors import AppError
from relaycode.models import LedgerAccount, LedgerTransaction
from relaycode.payments import ledger
from relaycode.payments.ledger_check import check

RACERS = 50
WATCH_SECONDS = 120.0  # a bound on the watcher's loop, not a measurement


def _grant(db: Database, user_id: int, amount: int) -> None:
    with db.transaction() as s:
        source = ledger.account(s, "platform_grants", "CNY")
        wallet = ledger.account(s, "user_wallet", "CNY", user_id=user_id)
        ledger.post(s, kind="grant", lines=[(source, -amount), (wallet, amount)])


def _outcome(work: Callable[[], object]) -> str:
    try:
        work()
    except AppError as err:
        return err.code
    return "ok"


def _balance(db: Database, kind: str, **owner: int) -> int:
    with db.read_transaction() as s:
        acct = ledger.find_account(s, kind, "CNY", **owner)  # type: ignore[arg-type]
        assert acct is not None
        return acct.balance_minor


def _ledger_ok(db: Database) -> None:
    with db.read_transaction() as s:
        report = check(s)
    assert report.ok, report.to_dict()


class Watcher:
    """Reads a wallet's balance over and over while the race runs: never below zero."""

    def __init__(self, db: Database, user_id: int) -> None:
        self.db, self.user_id = db, user_id
        self.seen: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + WATCH_SECONDS
        while not self.stop.is_set() and time.monotonic() < deadline:
            self.seen.append(_balance(self.db, "user_wallet", user_id=self.user_id))
            time.sleep(0.005)

    def __enter__(self) -> Watcher:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def test_concurrent_debits_never_overdraw(
    db: Database, make_user: Callable[[str], int], make_merchant: Callable[[str], int]
) -> None:
    """50 payments of 30 from a wallet of 1,000: 33 fit, 17 are refused, 10 remain."""
    uid, mid = make_user("bob"), make_merchant("shop")
    _grant(db, uid, 1000)

    def pay(_i: int) -> str:
        def work() -> None:
            with db.transaction() as s:
                wallet = ledger.account(s, "user_wallet", "CNY", user_id=uid)
                shop = ledger.account(s, "merchant", "CNY", merchant_id=mid)
                ledger.post(s, kind="order_payment", lines=[(wallet, -30), (shop, 30)])

        return _outcome(work)

    with Watcher(db, uid) as watcher:
        results = Counter(race(RACERS, pay))
    assert results == {"ok": 33, "insufficient_funds": 17}, results
    assert _balance(db, "user_wallet", user_id=uid) == 10
    assert _balance(db, "merchant", merchant_id=mid) == 990
    assert watcher.seen and min(watcher.seen) >= 0
    _ledger_ok(db)


def test_concurrent_debits_of_different_sizes_pay_what_fits(
    db: Database, make_user: Callable[[str], int], make_merchant: Callable[[str], int]
) -> None:
    """Whatever the order, the balance only falls: every refused amount was (and is) more
    than what was left, and what was paid is exactly what left the wallet."""
    uid, mid = make_user("bob"), make_merchant("shop")
    _grant(db, uid, 2000)
    amounts = [10 * (i % 9 + 1) for i in range(RACERS)]  # 10 … 90, 2,460 in all

    def pay(i: int) -> tuple[int, str]:
        def work() -> None:
            with db.transaction() as s:
                wallet = ledger.account(s, "user_wallet", "CNY", user_id=uid)
                shop = ledger.account(s, "merchant", "CNY", merchant_id=mid)
                ledger.post(
                    s, kind="order_payment", lines=[(wallet, -amounts[i]), (shop, amounts[i])]
                )

        return amounts[i], _outcome(work)

    results = race(RACERS, pay)
    paid = sum(a for a, r in results if r == "ok")
    refused = [a for a, r in results if r != "ok"]
    left = _balance(db, "user_wallet", user_id=uid)
    assert {r for _a, r in results} <= {"ok", "insufficient_funds"}
    assert left == 2000 - paid >= 0 and refused
    assert all(a > left for a in refused), (left, sorted(refused))
    assert _balance(db, "merchant", merchant_id=mid) == paid
    _ledger_ok(db)


def test_opposite_transfers_never_deadlock(db: Database, make_user: Callable[[str], int]) -> None:
    """Half the racers send A→B, half B→A, each several times: all succeed, nothing lost."""
    a, b = make_user("ann"), make_user("ben")
    _grant(db, a, 10_000)
    _grant(db, b, 10_000)
    rounds = 4

    def transfer(i: int) -> str:
        src, dst = (a, b) if i % 2 else (b, a)

        def work() -> None:
            for _ in range(rounds):
                with db.transaction() as s:
                    one = ledger.account(s, "user_wallet", "CNY", user_id=src)
                    two = ledger.account(s, "user_wallet", "CNY", user_id=dst)
                    ledger.post(s, kind="transfer", lines=[(one, -(i + 1)), (two, i + 1)])

        return _outcome(work)

    assert Counter(race(RACERS, transfer)) == {"ok": RACERS}
    sent_by_a = sum(i + 1 for i in range(RACERS) if i % 2) * rounds
    sent_by_b = sum(i + 1 for i in range(RACERS) if not i % 2) * rounds
    assert _balance(db, "user_wallet", user_id=a) == 10_000 - sent_by_a + sent_by_b
    assert _balance(db, "user_wallet", user_id=b) == 10_000 - sent_by_b + sent_by_a
    _ledger_ok(db)


def test_one_key_posted_by_many_at_once_moves_money_once(
    db: Database, make_user: Callable[[str], int]
) -> None:
    uid = make_user("bob")

    def post(_i: int) -> int:
        with db.transaction() as s:
            source = ledger.account(s, "platform_grants", "CNY")
            wallet = ledger.account(s, "user_wallet", "CNY", user_id=uid)
            txn = ledger.post(
                s, kind="grant", lines=[(source, -500), (wallet, 500)], idempotency_key="once"
            )
            return txn.id

    ids = race(RACERS, post)
    assert len(set(ids)) == 1
    assert _balance(db, "user_wallet", user_id=uid) == 500
    with db.read_transaction() as s:
        assert s.query(LedgerTransaction).count() == 1
    _ledger_ok(db)


def test_one_key_for_different_movements_at_once_is_taken_once(
    db: Database, make_user: Callable[[str], int]
) -> None:
    """Racers share a key over disjoint accounts (no row lock in common): the unique key
    decides; one moves money, every other is told the key was used for another."""
    n = 12
    users = [make_user(f"user{i}") for i in range(n)]

    def post(i: int) -> str:
        def work() -> None:
            with db.transaction() as s:
                source = ledger.account(s, "provider_clearing", "CNY", provider=f"p{i}")
                wallet = ledger.account(s, "user_wallet", "CNY", user_id=users[i])
                ledger.post(
                    s, kind="topup", lines=[(source, -7), (wallet, 7)], idempotency_key="shared"
                )

        return _outcome(work)

    results = Counter(race(n, post))
    assert results == {"ok": 1, "idempotency_key_reused": n - 1}, results
    with db.read_transaction() as s:
        assert s.query(LedgerTransaction).count() == 1
    _ledger_ok(db)


def test_concurrent_creation_makes_one_account(
    db: Database, make_user: Callable[[str], int]
) -> None:
    uid = make_user("bob")

    def make(_i: int) -> int:
        with db.transaction() as s:
            return ledger.account(s, "user_wallet", "EUR", user_id=uid).id

    assert len(set(race(30, make))) == 1
    with db.read_transaction() as s:
        assert s.query(LedgerAccount).count() == 1

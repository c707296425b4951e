"""Postings: balanced or refused, overdrafts refused, idempotent by key; accounts unique."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from relaycode.db.session import Database
from relaycode.errors import AppError
from relaycode.models import LedgerAccount, LedgerEntry, LedgerTransaction
from relaycode.payments import ledger
from relaycode.payments import repository as repo
from relaycode.payments.ledger_check import check


def _grant(db: Database, user_id: int, amount: int, currency: str = "CNY") -> None:
    with db.transaction() as s:
        source = ledger.account(s, "platform_grants", currency)
        wallet = ledger.account(s, "user_wallet", currency, user_id=user_id)
        ledger.post(s, kind="grant", lines=[(source, -amount), (wallet, amount)])


def _balance(db: Database, kind: str, currency: str = "CNY", **owner: int) -> int:
    with db.read_transaction() as s:
        acct = ledger.find_account(s, kind, currency, **owner)  # type: ignore[arg-type]
        return acct.balance_minor if acct else 0


def _count(db: Database, model: type) -> int:
    with db.read_transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_account_is_made_once_and_found_again(
    db: Database, make_user: Callable[[str], int]
) -> None:
    uid = make_user("alice")
    with db.transaction() as s:
        first = ledger.account(s, "user_wallet", "cny", user_id=uid)
        again = ledger.account(s, "user_wallet", "CNY", user_id=uid)
        assert first.id == again.id and first.currency == "CNY" and first.balance_minor == 0
        assert first.owner_key == f"user:{uid}" and first.allow_negative is False
        other = ledger.account(s, "user_wallet", "JPY", user_id=uid)
        grants = ledger.account(s, "platform_grants", "CNY")
        stripe = ledger.account(s, "provider_clearing", "CNY", provider="stripe")
        assert len({first.id, other.id, grants.id, stripe.id}) == 4
        assert grants.allow_negative and stripe.allow_negative
        assert ledger.find_account(s, "user_wallet", "EUR", user_id=uid) is None
    assert _count(db, LedgerAccount) == 4


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        ("user_wallet", {}),
        ("user_wallet", {"merchant_id": 1}),
        ("platform_grants", {"user_id": 1}),
        ("provider_clearing", {"provider": "Bad Name"}),
        ("no_such_kind", {}),
    ],
)
def test_an_account_needs_the_owner_its_kind_names(
    db: Database, kind: str, owner: dict[str, object]
) -> None:
    with db.transaction() as s, pytest.raises(ValueError):
        ledger.account(s, kind, "CNY", **owner)  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["XYZ", "XAU", "cn", "", "€"])
def test_unknown_currencies_are_refused(db: Database, currency: str) -> None:
    with db.transaction() as s, pytest.raises(AppError) as err:
        ledger.account(s, "platform_grants", currency)
    assert err.value.code == "unknown_currency" and err.value.status == 422


def test_a_transfer_moves_money_and_keeps_running_balances(
    db: Database, make_user: Callable[[str], int], make_merchant: Callable[[str], int]
) -> None:
    uid, mid = make_user("bob"), make_merchant("shop")
    _grant(db, uid, 1000)
    with db.transaction() as s:
        wallet = ledger.account(s, "user_wallet", "CNY", user_id=uid)
        shop = ledger.account(s, "merchant", "CNY", merchant_id=mid)
        txn = ledger.post(
            s,
            kind="order_payment",
            lines=[(wallet, -300), (shop, 300)],
            reference=("order", 7),
            memo="tea",
        )
        assert (txn.reference_type, txn.reference_id, txn.memo) == ("order", "7", "tea")
        assert ledger.balance(s, wallet) == 700 and ledger.balance(s, shop) == 300
        assert [(e.amount_minor, e.balance_after_minor) for e in ledger.entries_of(s, txn)] == [
            (-300, 700),
            (300, 300),
        ]
    assert _balance(db, "platform_grants") == -1000
    with db.read_transaction() as s:
        wallet_acct = ledger.find_account(s, "user_wallet", "CNY", user_id=uid)
        assert wallet_acct is not None
        page = repo.history(s, [wallet_acct], cursor=None, limit=1)
        assert [(t.kind, e.amount_minor) for e, t, _a in page.items] == [("order_payment", -300)]
        assert page.next_cursor
        rest = repo.history(s, [wallet_acct], cursor=page.next_cursor, limit=10)
        assert [(t.kind, e.balance_after_minor) for e, t, _a in rest.items] == [("grant", 1000)]
        assert rest.next_cursor is None
        assert check(s).ok


def test_an_overdraft_is_refused_and_moves_nothing(
    db: Database, make_user: Callable[[str], int], make_merchant: Callable[[str], int]
) -> None:
    uid, mid = make_user("bob"), make_merchant("shop")
    _grant(db, uid, 100)
    with db.transaction() as s:
        wallet = ledger.account(s, "user_wallet", "CNY", user_id=uid)
        shop = ledger.account(s, "merchant", "CNY", merchant_id=mid)
        with pytest.raises(AppError) as err:
            ledger.post(s, kind="order_payment", lines=[(wallet, -101), (shop, 101)])
        assert (err.value.code, err.value.status) == ("insufficient_funds", 409)
        assert err.value.details == {"currency": "CNY", "account_kind": "user_wallet"}
        # Exactly the balance is fine: zero is not negative.
        ledger.post(s, kind="order_payment", lines=[(wallet, -100), (shop, 100)])
    assert _balance(db, "user_wallet", user_id=uid) == 0
    assert _balance(db, "merchant", merchant_id=mid) == 100
    assert _count(db, LedgerTransaction) == 2


@pytest.mark.parametrize(
    "bad",
    [
        "one_line",
        "unbalanced",
        "zero",
        "float",
        "bool",
        "twice",
        "huge",
        "bad_kind",
        "bad_reference",
        "long_memo",
        "empty_key",
        "cross_currency",
    ],
)
def test_what_is_not_a_posting_is_refused(
    db: Database, make_user: Callable[[str], int], bad: str
) -> None:
    uid = make_user("bob")
    with db.transaction() as s:
        a = ledger.account(s, "platform_grants", "CNY")
        b = ledger.account(s, "user_wallet", "CNY", user_id=uid)
        jpy = ledger.account(s, "user_wallet", "JPY", user_id=uid)
        kw: dict[str, object] = {"kind": "grant", "lines": [(a, -5), (b, 5)]}
        changes: dict[str, dict[str, object]] = {
            "one_line": {"lines": [(a, 5)]},
            "unbalanced": {"lines": [(a, -5), (b, 6)]},
            "zero": {"lines": [(a, 0), (b, 0)]},
            "float": {"lines": [(a, -5.0), (b, 5.0)]},
            "bool": {"lines": [(a, True), (b, -1)]},
            "twice": {"lines": [(a, -5), (a, 5)]},
            "huge": {"lines": [(a, -(10**16)), (b, 10**16)]},
            "bad_kind": {"kind": "Grant!"},
            "bad_reference": {"reference": ("order", "x" * 65)},
            "long_memo": {"memo": "m" * 201},
            "empty_key": {"idempotency_key": ""},
            "cross_currency": {"lines": [(a, -5), (jpy, 5)]},
        }
        kw.update(changes[bad])
        with pytest.raises(AppError) as err:
            ledger.post(s, **kw)  # type: ignore[arg-type]
        assert err.value.code == "invalid_posting", err.value.message
    assert _count(db, LedgerTransaction) == 0


def test_a_posting_in_two_currencies_balances_in_each(
    db: Database, make_user: Callable[[str], int]
) -> None:
    uid = make_user("bob")
    with db.transaction() as s:
        lines = [
            (ledger.account(s, "platform_grants", "CNY"), -500),
            (ledger.account(s, "user_wallet", "CNY", user_id=uid), 500),
            (ledger.account(s, "platform_grants", "JPY"), -70),
            (ledger.account(s, "user_wallet", "JPY", user_id=uid), 70),
        ]
        ledger.post(s, kind="grant", lines=lines)
        assert check(s).ok
    assert _balance(db, "user_wallet", "JPY", user_id=uid) == 70


def test_the_same_key_posts_once(db: Database, make_user: Callable[[str], int]) -> None:
    uid = make_user("bob")
    with db.transaction() as s:
        a = ledger.account(s, "platform_grants", "CNY")
        b = ledger.account(s, "user_wallet", "CNY", user_id=uid)
        first = ledger.post(s, kind="grant", lines=[(a, -5), (b, 5)], idempotency_key="k1")
    with db.transaction() as s:
        a = ledger.account(s, "platform_grants", "CNY")
        b = ledger.account(s, "user_wallet", "CNY", user_id=uid)
        again = ledger.post(s, kind="grant", lines=[(a, -5), (b, 5)], idempotency_key="k1")
        assert again.id == first.id
        # The same key for another movement is refused, whatever differs.
        for kw in (
            {"lines": [(a, -6), (b, 6)]},
            {"kind": "refund"},
            {"reference": ("order", 1)},
            {"lines": [(b, -5), (a, 5)]},
        ):
            args: dict[str, object] = {"kind": "grant", "lines": [(a, -5), (b, 5)], **kw}
            with pytest.raises(AppError) as err:
                ledger.post(s, idempotency_key="k1", **args)  # type: ignore[arg-type]
            assert err.value.code == "idempotency_key_reused"
    assert _balance(db, "user_wallet", user_id=uid) == 5
    assert _count(db, LedgerTransaction) == 1 and _count(db, LedgerEntry) == 2


def test_a_failed_posting_leaves_no_key_behind(
    db: Database, make_user: Callable[[str], int], make_merchant: Callable[[str], int]
) -> None:
    """Refused for want of money, the key is free: the retry once topped up goes through."""
    uid, mid = make_user("bob"), make_merchant("shop")

    def pay() -> None:
        with db.transaction() as s:
            wallet = ledger.account(s, "user_wallet", "CNY", user_id=uid)
            shop = ledger.account(s, "merchant", "CNY", merchant_id=mid)
            lines = [(wallet, -50), (shop, 50)]
            ledger.post(s, kind="order_payment", lines=lines, idempotency_key="pay:1")

    with pytest.raises(AppError):
        pay()
    _grant(db, uid, 80)
    pay()
    pay()
    assert _balance(db, "user_wallet", user_id=uid) == 30

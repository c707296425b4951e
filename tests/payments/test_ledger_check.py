"""``relaycode ledger check``: passes on a sound ledger, finds each kind of corruption.

The corruptions are made the way a bug or a hand-edit would: SQL straight on the rows,
around the service (and, where they stand in the way, around the CHECK constraints).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from relaycode.db.session import Database
from relaycode.payments import ledger
from relaycode.payments.ledger_check import check

World = dict[str, int]


@pytest.fixture
def world(
    db: Database, make_user: Callable[[str], int], make_merchant: Callable[[str], int]
) -> World:
    """A grant to bob and a payment from bob to a shop: two transactions, three accounts."""
    uid, mid = make_user("bob"), make_merchant("shop")
    with db.transaction() as s:
        grants = ledger.account(s, "platform_grants", "CNY")
        wallet = ledger.account(s, "user_wallet", "CNY", user_id=uid)
        shop = ledger.account(s, "merchant", "CNY", merchant_id=mid)
        grant = ledger.post(s, kind="grant", lines=[(grants, -1000), (wallet, 1000)])
        pay = ledger.post(s, kind="order_payment", lines=[(wallet, -400), (shop, 400)])
        return {
            "grants": grants.id,
            "wallet": wallet.id,
            "shop": shop.id,
            "grant": grant.id,
            "pay": pay.id,
        }


def _sql(db: Database, statement: str, **values: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), values)


def _checks(db: Database) -> dict[str, list[dict[str, Any]]]:
    with db.read_transaction() as s:
        report = check(s).to_dict()
    found: dict[str, list[dict[str, Any]]] = {}
    for p in report["problems"]:
        found.setdefault(p["check"], []).append(p)
    assert report["ok"] is (not found)
    assert report["counts"]["problems"] == len(report["problems"])
    return found


def test_a_sound_ledger_passes(db: Database, world: World) -> None:
    with db.read_transaction() as s:
        report = check(s)
    assert report.ok and report.to_dict()["counts"] == {
        "accounts": 3,
        "transactions": 2,
        "entries": 4,
        "problems": 0,
    }


def test_an_entry_changed_by_hand(db: Database, world: World) -> None:
    """The shop's entry says 500 instead of 400: the payment no longer balances, the
    shop's balance is not its entries' sum, and the running balance is off."""
    _sql(
        db,
        "UPDATE ledger_entries SET amount_minor = 500 "
        "WHERE transaction_id = :t AND account_id = :a",
        t=world["pay"],
        a=world["shop"],
    )
    found = _checks(db)
    assert set(found) == {"unbalanced", "balance_mismatch", "running_balance"}
    assert found["unbalanced"] == [
        {
            "check": "unbalanced",
            "transaction_id": world["pay"],
            "currency": "CNY",
            "sum_minor": 100,
            "message": found["unbalanced"][0]["message"],
        }
    ]
    assert found["balance_mismatch"][0]["account_id"] == world["shop"]
    assert found["balance_mismatch"][0]["sum_minor"] == 500


def test_a_cached_balance_changed_by_hand(db: Database, world: World) -> None:
    _sql(db, "UPDATE ledger_accounts SET balance_minor = 9999 WHERE id = :a", a=world["wallet"])
    found = _checks(db)
    assert set(found) == {"balance_mismatch"}
    assert found["balance_mismatch"][0]["balance_minor"] == 9999


def test_a_wallet_whose_entries_go_negative(db: Database, world: World) -> None:
    """Both entries of the payment inflated past the wallet's money: still balanced, but
    the wallet's entries now sum below zero."""
    _sql(
        db,
        "UPDATE ledger_entries SET amount_minor = amount_minor * 3 WHERE transaction_id = :t",
        t=world["pay"],
    )
    found = _checks(db)
    assert "unbalanced" not in found
    negative = found["negative"]
    assert [(p["account_id"], p["sum_minor"]) for p in negative] == [(world["wallet"], -200)]


def test_a_wallet_allowed_to_go_negative(db: Database, world: World) -> None:
    """The flag flipped so the CHECK constraint lets a negative balance in: the kind's
    rule still says no."""
    _sql(
        db,
        "UPDATE ledger_accounts SET allow_negative = :y, balance_minor = -5 WHERE id = :a",
        y=True,
        a=world["wallet"],
    )
    found = _checks(db)
    assert {"kind", "balance_mismatch"} <= set(found)
    assert found["kind"][0]["account_id"] == world["wallet"]
    # A clearing account that may not go negative any more breaks the rule too.
    _sql(
        db,
        "UPDATE ledger_accounts SET allow_negative = :n, balance_minor = 600 WHERE id = :a",
        n=False,
        a=world["wallet"],
    )
    _sql(db, "UPDATE ledger_accounts SET kind = 'mystery' WHERE id = :a", a=world["shop"])
    kinds = _checks(db)["kind"]
    assert [p["kind"] for p in kinds] == ["mystery"]


def test_a_transaction_without_entries(db: Database, world: World) -> None:
    _sql(db, "DELETE FROM ledger_entries WHERE transaction_id = :t", t=world["pay"])
    found = _checks(db)
    assert found["empty"] == [
        {"check": "empty", "transaction_id": world["pay"], "message": found["empty"][0]["message"]}
    ]
    assert {"balance_mismatch", "empty"} <= set(found)

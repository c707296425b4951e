"""Commissions as ledger entries: recorded once per paid order, reversed in proportion by
refunds, released after the hold; the ledger stays consistent throughout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from commission_support import (
    DEPTH,
    balance,
    balances,
    later,
    ledger_ok,
    make_shop,
    nonzero,
    pay_order,
    refund_order,
    rows,
    rules,
)
from sqlalchemy import func, select

from relaycode.config import Settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.models import InboxItem, LedgerTransaction, Order, WebhookDelivery, WebhookEndpoint
from relaycode.payments import ledger
from relaycode.referrals import commissions
from relaycode.referrals.commission_common import account_of
from relaycode.referrals.commission_math import LevelRule


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(make_engine(settings.resolved_database_url))
    yield database
    database.dispose()


def test_a_paid_order_pays_each_level_once(db: Database) -> None:
    shop = make_shop(db, rules(1000, 500, 200, platform=LevelRule(100)))
    with db.transaction() as s:
        order = pay_order(s, shop, "buyer", ["alice", "bob", "carol"], 10_000)
        oid = order.id
    with db.transaction() as s:
        got = rows(s, oid)
        assert [(c.level, c.beneficiary, c.amount_minor, c.status) for c in got] == [
            (0, "platform", 100, "available"),
            (1, "user", 1000, "pending"),
            (2, "user", 500, "pending"),
            (3, "user", 200, "pending"),
        ]
        assert all(c.code_id for c in got)
        assert balance(s, "merchant", merchant_id=shop.merchant_id) == 10_000 - 1800
        assert balance(s, "commissions_pending", user_id=shop.users["alice"]) == 1000
        assert balance(s, "commissions_pending", user_id=shop.users["carol"]) == 200
        assert balance(s, "platform_revenue") == 100
        # Again: the same rows, nothing moves.
        same = s.get(Order, oid)
        assert same is not None
        again = commissions.record_for_order(s, same, operator_max_depth=DEPTH, now=later(0))
        assert [c.id for c in again] == [c.id for c in got]
        assert balance(s, "merchant", merchant_id=shop.merchant_id) == 8200
        txns = s.scalar(
            select(func.count()).where(
                LedgerTransaction.idempotency_key == f"order:{oid}:commission"
            )
        )
        assert txns == 1
        inbox = s.scalars(select(InboxItem).where(InboxItem.kind == "commission_earned")).all()
        assert sorted(i.user_id for i in inbox) == sorted(
            shop.users[n] for n in ("alice", "bob", "carol")
        )
    ledger_ok(db)


def test_blocked_referrers_are_recorded_with_their_reason(db: Database) -> None:
    shop = make_shop(db, rules(1000, 500, 200))
    with db.transaction() as s:
        # buyer shared to themselves (self), then alice twice (loop), beyond depth 3 erin.
        order = pay_order(s, shop, "buyer", ["buyer", "alice", "alice", "erin"], 10_000)
        got = {c.level: c for c in rows(s, order.id)}
    assert {lvl: (c.status, c.blocked_reason) for lvl, c in got.items()} == {
        1: ("blocked", "self_referral"),
        2: ("pending", None),
        3: ("blocked", "loop"),
        4: ("blocked", "beyond_max_depth"),
    }
    assert got[2].amount_minor == 500 and got[1].amount_minor == 0
    ledger_ok(db)


def test_same_device_is_self_referral(db: Database) -> None:
    shop = make_shop(db, rules(1000))
    with db.transaction() as s:
        order = pay_order(s, shop, "buyer", ["alice"], 10_000, device_of="alice")
        (c,) = rows(s, order.id)
    assert (c.status, c.blocked_reason) == ("blocked", "self_referral")


def test_no_rules_no_chain_no_commission(db: Database) -> None:
    shop = make_shop(db, None)
    with db.transaction() as s:
        order = pay_order(s, shop, "buyer", ["alice"], 10_000)
        assert rows(s, order.id) == []
        assert balance(s, "merchant", merchant_id=shop.merchant_id) == 10_000
    ledger_ok(db)


def test_first_purchase_only(db: Database) -> None:
    shop = make_shop(db, rules(1000, first_purchase_only=True))
    with db.transaction() as s:
        first = pay_order(s, shop, "buyer", ["alice"], 10_000)
        second = pay_order(s, shop, "buyer", ["alice"], 10_000)
        assert [c.status for c in rows(s, first.id)] == ["pending"]
        assert [c.blocked_reason for c in rows(s, second.id)] == ["not_first_purchase"]


def test_full_refund_returns_every_balance(db: Database) -> None:
    shop = make_shop(db, rules(1000, 500, 200, platform=LevelRule(133)))
    with db.transaction() as s:
        order = pay_order(s, shop, "buyer", ["alice", "bob", "carol"], 9_999)
        oid = order.id
    with db.transaction() as s:
        start = balances(s)
    with db.transaction() as s:
        refund_order(s, oid, 9_999)
    with db.transaction() as s:
        end = balances(s)
        assert all(c.status == "reversed" for c in rows(s, oid))
        assert all(c.reversed_minor == c.amount_minor for c in rows(s, oid))
    # Every commission account is back at zero; the merchant gave all back to the buyer.
    assert nonzero({k: v for k, v in end.items() if k[0].startswith("commissions")}) == {}
    assert end[("platform_revenue", "platform")] == 0
    assert end[("merchant", f"merchant:{shop.merchant_id}")] == 0
    assert end[("user_wallet", f"user:{shop.users['buyer']}")] == 9_999
    assert start[("merchant", f"merchant:{shop.merchant_id}")] < 9_999
    ledger_ok(db)


def test_partial_refunds_add_up_to_a_full_one(db: Database) -> None:
    shop = make_shop(db, rules(1000, 333))
    with db.transaction() as s:
        oid = pay_order(s, shop, "buyer", ["alice", "bob"], 10_001).id
    for part in (3_333, 1, 6_000, 667):
        with db.transaction() as s:
            refund_order(s, oid, part)
            ledger_ok(db)
    with db.transaction() as s:
        assert [c.status for c in rows(s, oid)] == ["reversed", "reversed"]
        assert balance(s, "commissions_pending", user_id=shop.users["alice"]) == 0
        assert balance(s, "merchant", merchant_id=shop.merchant_id) == 0


def test_a_refund_is_reversed_once(db: Database) -> None:
    shop = make_shop(db, rules(1000))
    with db.transaction() as s:
        oid = pay_order(s, shop, "buyer", ["alice"], 10_000).id
    with db.transaction() as s:
        refund = refund_order(s, oid, 5_000)
        order = s.get(Order, oid)
        assert order is not None
        again = commissions.reverse_for_refund(s, order, refund=refund, refunded_before_minor=0)
        assert [c.reversed_minor for c in again] == [500]
        assert balance(s, "commissions_pending", user_id=shop.users["alice"]) == 500
        inbox = s.scalars(select(InboxItem).where(InboxItem.kind == "commission_reversed"))
        assert len(inbox.all()) == 1
    ledger_ok(db)


def test_release_after_the_hold(db: Database) -> None:
    shop = make_shop(db, rules(1000, hold_days=7))
    with db.transaction() as s:
        oid = pay_order(s, shop, "buyer", ["alice"], 10_000).id
    with db.transaction() as s:
        assert commissions.release_due(s, now=later(6)) == 0
    with db.transaction() as s:
        assert commissions.release_due(s, now=later(8)) == 1
    with db.transaction() as s:
        assert commissions.release_due(s, now=later(9)) == 0
        (c,) = rows(s, oid)
        assert c.status == "available"
        alice = shop.users["alice"]
        assert balance(s, "commissions_pending", user_id=alice) == 0
        assert balance(s, "commissions_available", user_id=alice) == 1000
        kinds = s.scalars(select(InboxItem.kind).where(InboxItem.user_id == alice)).all()
        assert sorted(kinds) == ["commission_available", "commission_earned"]
    ledger_ok(db)


def test_refund_after_release_takes_from_available(db: Database) -> None:
    shop = make_shop(db, rules(1000, hold_days=0))
    with db.transaction() as s:
        oid = pay_order(s, shop, "buyer", ["alice"], 10_000).id
    with db.transaction() as s:
        commissions.release_due(s, now=later(0.01))
    with db.transaction() as s:
        refund_order(s, oid, 10_000)
        assert balance(s, "commissions_available", user_id=shop.users["alice"]) == 0
        assert rows(s, oid)[0].status == "reversed"
    ledger_ok(db)


def test_withdrawn_commission_reversed_is_owed_then_settled(db: Database) -> None:
    """Alice withdrew her 1,000 before the refund: the reversal cannot take it from her
    available balance (never below zero), so it is recorded as owed and the merchant is
    still made whole; her next released commission pays the debt first."""
    shop = make_shop(db, rules(1000, hold_days=0))
    alice = shop.users["alice"]
    with db.transaction() as s:
        oid = pay_order(s, shop, "buyer", ["alice"], 10_000).id
    with db.transaction() as s:
        commissions.release_due(s, now=later(0.01))
        available = account_of(s, rows(s, oid)[0], "available")
        gone = ledger.account(s, "withdrawals_pending", "CNY", user_id=alice)
        ledger.post(s, kind="withdrawal", lines=[(available, -700), (gone, 700)])
    with db.transaction() as s:
        refund_order(s, oid, 10_000)
        assert balance(s, "commissions_available", user_id=alice) == 0
        assert balance(s, "commissions_owed", user_id=alice) == -700
        assert balance(s, "merchant", merchant_id=shop.merchant_id) == 0
    ledger_ok(db)
    with db.transaction() as s:
        oid2 = pay_order(s, shop, "buyer", ["alice"], 10_000).id
        commissions.release_due(s, now=later(0.01))
        assert rows(s, oid2)[0].status == "available"
        assert balance(s, "commissions_owed", user_id=alice) == -0  # settled
        assert balance(s, "commissions_available", user_id=alice) == 300
    ledger_ok(db)


def test_webhooks_for_created_reversed_available(db: Database) -> None:
    shop = make_shop(db, rules(1000, hold_days=0))
    with db.transaction() as s:
        s.add(
            WebhookEndpoint(
                merchant_id=shop.merchant_id,
                url="http://127.0.0.1:9/hook",
                events="commission.available commission.created commission.reversed",
                secret="whsec_x",
            )
        )
    with db.transaction() as s:
        oid = pay_order(s, shop, "buyer", ["alice"], 10_000).id
        commissions.release_due(s, now=later(0.01))
        refund_order(s, oid, 2_500)
    with db.transaction() as s:
        types = s.scalars(select(WebhookDelivery.event_type).order_by(WebhookDelivery.id)).all()
    assert types == ["commission.created", "commission.available", "commission.reversed"]

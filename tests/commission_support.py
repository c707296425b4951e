"""Commission tests without the orders slice: orders inserted directly, paid from the
buyer's wallet through the ledger, then handed to referrals/commissions.py the way the
orders slice does (record after paid; reverse before the refund's own posting)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.db.session import Database
from relaycode.identity.tokens import new_public_id
from relaycode.models import (
    Code,
    Commission,
    Device,
    LedgerAccount,
    Merchant,
    Offer,
    Order,
    OrderRefund,
    User,
)
from relaycode.payments import ledger
from relaycode.payments.ledger_check import check
from relaycode.referrals import commissions
from relaycode.referrals.commission_math import CommissionRules, LevelRule
from relaycode.referrals.commission_rules import set_merchant_rules

DEPTH = 3  # the operator's cap in these tests


@dataclass
class Shop:
    merchant_id: int
    offer_id: int
    users: dict[str, int] = field(default_factory=dict)
    devices: dict[str, int] = field(default_factory=dict)


def make_user(s: Session, name: str, shop: Shop, tag: str = "") -> int:
    user = User(username=name + tag, pseudonym=new_public_id())
    s.add(user)
    s.flush()
    device = Device(device_uid=secrets.token_hex(8), user_id=user.id)
    s.add(device)
    s.flush()
    shop.users[name] = user.id
    shop.devices[name] = device.id
    return user.id


def make_shop(
    db: Database,
    rules: CommissionRules | None = None,
    people: tuple[str, ...] = ("alice", "bob", "carol", "dave", "erin", "buyer"),
    tag: str = "",
) -> Shop:
    """A merchant, an offer and ``people``; ``tag`` makes names unique (many shops)."""
    with db.transaction() as s:
        merchant = Merchant(slug="shop" + tag, name="Shop")
        s.add(merchant)
        s.flush()
        offer = Offer(merchant_id=merchant.id, title="Green tea", price_minor=10_000)
        s.add(offer)
        s.flush()
        shop = Shop(merchant.id, offer.id)
        for name in people:
            make_user(s, name, shop, tag)
        if rules is not None:
            set_merchant_rules(s, merchant, rules, expected_version=None)
    return shop


def rules(*percents: int, **kw: Any) -> CommissionRules:
    values: dict[str, Any] = {
        "currency": "CNY",
        "levels": tuple(LevelRule(p) for p in percents),
        "max_depth": max(1, len(percents)),
        "operator_max_depth": DEPTH,
        "hold_days": 7,
    }
    values.update(kw)
    return CommissionRules(**values)


def grant(s: Session, user_id: int, amount: int) -> None:
    source = ledger.account(s, "platform_grants", "CNY")
    wallet = ledger.account(s, "user_wallet", "CNY", user_id=user_id)
    ledger.post(s, kind="grant", lines=[(source, -amount), (wallet, amount)])


def share_code(s: Session, shop: Shop, holder: str) -> str:
    code = Code(
        id=secrets.token_hex(16),
        kind="share",
        offer_id=shop.offer_id,
        holder_user_id=shop.users[holder],
        device_id=shop.devices[holder],
        depth=1,
        key_id=1,
    )
    s.add(code)
    s.flush()
    return code.id


def pay_order(
    s: Session,
    shop: Shop,
    buyer: str,
    chain: list[str],
    amount: int,
    *,
    now: datetime | None = None,
    device_of: str | None = None,
) -> Order:
    """A paid order through ``chain`` (nearest first), commissions recorded."""
    now = now or utcnow()
    buyer_id = shop.users[buyer]
    grant(s, buyer_id, amount)
    entries = [
        {"user_id": shop.users[n], "code_id": share_code(s, shop, n), "device_id": shop.devices[n]}
        for n in chain
    ]
    order = Order(
        merchant_id=shop.merchant_id,
        offer_id=shop.offer_id,
        buyer_user_id=buyer_id,
        buyer_device_id=shop.devices[device_of or buyer],
        code_id=entries[0]["code_id"] if entries else None,
        attributed_code_id=entries[0]["code_id"] if entries else None,
        referrer_chain=entries,
        quantity=1,
        unit_price_minor=amount,
        amount_minor=amount,
        currency="CNY",
        payment_method="wallet",
        status="paid",
        idempotency_key=secrets.token_hex(8),
        request_hash="0" * 64,
        created_at=now,
        paid_at=now,
    )
    s.add(order)
    s.flush()
    wallet = ledger.account(s, "user_wallet", "CNY", user_id=buyer_id)
    merchant = ledger.account(s, "merchant", "CNY", merchant_id=shop.merchant_id)
    ledger.post(
        s,
        kind="order_payment",
        lines=[(wallet, -amount), (merchant, amount)],
        idempotency_key=f"order:{order.id}:pay",
    )
    commissions.record_for_order(s, order, operator_max_depth=DEPTH, now=now)
    return order


def refund_order(s: Session, order_id: int, amount: int) -> OrderRefund:
    """A refund the way the orders slice makes one: commissions back first, then the
    buyer is paid from the merchant account."""
    order = s.get(Order, order_id, with_for_update=True, populate_existing=True)
    assert order is not None
    refund = OrderRefund(
        order_id=order.id, amount_minor=amount, idempotency_key=secrets.token_hex(8)
    )
    s.add(refund)
    s.flush()
    before = order.amount_refunded_minor
    commissions.reverse_for_refund(s, order, refund=refund, refunded_before_minor=before)
    merchant = ledger.account(s, "merchant", "CNY", merchant_id=order.merchant_id)
    wallet = ledger.account(s, "user_wallet", "CNY", user_id=order.buyer_user_id)
    ledger.post(
        s,
        kind="refund",
        lines=[(merchant, -amount), (wallet, amount)],
        idempotency_key=f"order:{order.id}:refund:{refund.id}",
    )
    order.amount_refunded_minor = before + amount
    order.status = (
        "refunded" if order.amount_refunded_minor == order.amount_minor else ("partially_refunded")
    )
    s.flush()
    return refund


def balances(s: Session) -> dict[tuple[str, str], int]:
    """Every account's balance by (kind, owner)."""
    return {(a.kind, a.owner_key): a.balance_minor for a in s.scalars(select(LedgerAccount))}


def nonzero(values: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    return {k: v for k, v in values.items() if v}


def balance(s: Session, kind: str, **owner: Any) -> int:
    acct = ledger.find_account(s, kind, "CNY", **owner)
    return acct.balance_minor if acct is not None else 0


def rows(s: Session, order_id: int) -> list[Commission]:
    return commissions.of_order(s, order_id)


def ledger_ok(db: Database) -> None:
    with db.read_transaction() as s:
        report = check(s)
    assert report.ok, report.to_dict()


def later(days: float) -> datetime:
    return utcnow() + timedelta(days=days)


def adopt(db: Database, shop: Shop, username: str) -> int:
    """Put a user registered through the API into ``shop.users`` (with a device)."""
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        device = s.scalar(select(Device).where(Device.user_id == user.id).limit(1))
        if device is None:
            device = Device(device_uid=secrets.token_hex(8), user_id=user.id)
            s.add(device)
            s.flush()
        shop.users[username], shop.devices[username] = user.id, device.id
        return user.id


def make_operator(db: Database, username: str) -> None:
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        user.is_operator = True


def earned_available(db: Database, shop: Shop, referrer: str, amount: int, times: int = 1) -> None:
    """``times`` paid orders through ``referrer`` (10 % each, no hold), then released."""
    with db.transaction() as s:
        for _ in range(times):
            pay_order(s, shop, "buyer", [referrer], amount)
    with db.transaction() as s:
        commissions.release_due(s, now=later(0.01))

"""A shop to buy from, seeded like the demo with the services (not through the pages):
a merchant with an offer paid by wallet, its code, level-1 commission rules of 10 %,
a referrer (alice) and a buyer (bob) whose wallet holds CN¥1,000.00."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relaycode.catalog import service as catalog
from relaycode.catalog.schemas import OfferCreate
from relaycode.codes import service as codes
from relaycode.identity import service as identity
from relaycode.identity.schemas import RegisterIn
from relaycode.merchants import service as merchants
from relaycode.payments import wallet
from relaycode.referrals.commission_math import CommissionRules, LevelRule
from relaycode.referrals.commission_rules import set_merchant_rules

PASSWORD = "relaycode-demo"
SLUG = "spring-tea"
PRICE = 12800  # CN¥128.00
COMMISSION_BP = 1000  # 10 % to the level-1 referrer: CN¥12.80 on one item
TOPUP = 100_000  # CN¥1,000.00


@dataclass(frozen=True)
class World:
    offer_id: int
    code_text: str
    merchant_id: int
    physical_offer_id: int
    physical_code_text: str

    @property
    def token(self) -> str:
        return self.code_text.rsplit("/", 1)[-1]


def seed(state: Any, *, methods: tuple[str, ...] = ("wallet",), topup: int = TOPUP) -> World:
    with state.db.transaction() as db:
        owner = identity.register(
            db, state.passwords, RegisterIn(username="merchant", password=PASSWORD)
        )
        users = {}
        for name in ("alice", "bob", "carol"):
            data = RegisterIn(username=name, password=PASSWORD, display_name=name.title())
            users[name] = identity.register(db, state.passwords, data)
        merchant = merchants.create_merchant(db, owner, SLUG, "Spring Tea House")
        spec = OfferCreate(
            title="Longjing green tea 250 g",
            description="First flush, picked before Qingming.",
            price_minor=PRICE,
            currency="CNY",
            payment_methods=list(methods),
        )
        offer = catalog.create_offer(db, merchant, spec)
        code = codes.issue_offer_code(db, state.keyring, offer, channel="poster")
        boxed = OfferCreate(
            title="Tea set, shipped",
            price_minor=36000,
            currency="CNY",
            payment_methods=list(methods),
            sales_channel="delivery",
        )
        physical = catalog.create_offer(db, merchant, boxed)
        physical_code = codes.issue_offer_code(db, state.keyring, physical, channel="poster")
        rules = CommissionRules(
            currency="CNY",
            levels=(LevelRule(percent_bp=COMMISSION_BP),),
            max_depth=1,
            operator_max_depth=state.settings.commission_max_depth,
            hold_days=0,
        )
        set_merchant_rules(db, merchant, rules, expected_version=None)
        if topup:
            wallet.grant(db, users["bob"], topup, "CNY", idempotency_key="test:topup:bob")
        return World(
            offer_id=offer.id,
            code_text=codes.code_text(state.settings, state.keyring, code) or "",
            merchant_id=merchant.id,
            physical_offer_id=physical.id,
            physical_code_text=codes.code_text(state.settings, state.keyring, physical_code) or "",
        )

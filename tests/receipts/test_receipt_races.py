"""Concurrent pays with one key and concurrent completes of one service request, over
real connections to a live server (tests/live.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

from helpers import auth
from live import clients, close_all, live_app, race
from order_support import balance, fund, ledger_ok
from receipt_support import make_shop, pay
from sqlalchemy import func, select

from relaycode.config import Settings
from relaycode.models import Credential, LedgerTransaction, PaymentAttempt, ShopPayment

N = 50


def test_fifty_pays_with_one_key_make_one_payment_and_one_receipt(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        db = app.state.rc.db
        cs = clients(url, N)
        try:
            shop = make_shop(cs[0])
            fund(db, "alice", 10_000)
            answers = race(N, lambda i: pay(cs[i], shop.alice, shop.code, 700, "one-key"))
        finally:
            close_all(cs)
        statuses = Counter(r.status_code for r in answers)
        assert statuses == {201: 1, 200: N - 1}, [r.text for r in answers if r.status_code > 201]
        assert len({r.json()["receipt"]["credential_id"] for r in answers}) == 1
        with db.read_transaction() as s:
            assert s.scalar(select(func.count()).select_from(ShopPayment)) == 1
            assert s.scalar(select(func.count()).select_from(PaymentAttempt)) == 1
            assert s.scalar(select(func.count()).select_from(Credential)) == 1
            pays = s.scalar(
                select(func.count())
                .select_from(LedgerTransaction)
                .where(LedgerTransaction.kind == "shop_payment")
            )
            assert pays == 1
        assert balance(db, "alice") == 10_000 - 700
        ledger_ok(db)


def test_fifty_completes_issue_one_voucher(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        db = app.state.rc.db
        cs = clients(url, N)
        try:
            shop = make_shop(cs[0])
            r = cs[0].post(
                f"/api/v1/merchants/{shop.merchant_id}/service-requests",
                json={"user": "alice", "description": "Bike repair"},
                headers=auth(shop.owner),
            )
            assert r.status_code == 201, r.text
            rid = r.json()["id"]
            answers = race(
                N,
                lambda i: cs[i].post(
                    f"/api/v1/service-requests/{rid}/complete", headers=auth(shop.owner)
                ),
            )
        finally:
            close_all(cs)
        statuses = Counter(r.status_code for r in answers)
        assert statuses == {201: 1, 200: N - 1}, [r.text for r in answers if r.status_code > 201]
        assert len({r.json()["credential_id"] for r in answers}) == 1
        with db.read_transaction() as s:
            assert s.scalar(select(func.count()).select_from(Credential)) == 1

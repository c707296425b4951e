"""Orders under real concurrency: a live uvicorn server, clients on their own threads
released together (tests/live.py), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from helpers import register
from live import bearer, clients, close_all, live_app, race
from order_support import balance, fund, ledger_ok, order, rules, share, shop
from sqlalchemy import func, select
from subprocess_env import server_env

from relaycode.config import Settings
from relaycode.models import LedgerTransaction, Order, PaymentAttempt

N = 50


def test_fifty_submits_with_one_key_make_one_order_and_one_charge(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        db = app.state.rc.db
        cs = clients(url, N)
        try:
            s = shop(cs[0])
            bob = register(cs[0], "bob")
            fund(db, "bob", 10_000)
            answers = race(N, lambda i: order(cs[i], bob, s.code, "one-key"))
        finally:
            close_all(cs)
        statuses = Counter(r.status_code for r in answers)
        assert set(statuses) <= {200, 201}, [r.text for r in answers if r.status_code >= 300][:3]
        assert statuses[201] == 1
        assert len({r.json()["id"] for r in answers}) == 1
        assert all(r.json()["status"] == "paid" for r in answers)
        with db.read_transaction() as s_:
            assert s_.scalar(select(func.count()).select_from(Order)) == 1
            assert s_.scalar(select(func.count()).select_from(PaymentAttempt)) == 1
            pays = s_.scalar(
                select(func.count())
                .select_from(LedgerTransaction)
                .where(LedgerTransaction.kind == "order_payment")
            )
            assert pays == 1
        assert balance(db, "bob") == 10_000 - 1250
        ledger_ok(db)


def test_fifty_payments_beyond_the_balance_pay_what_fits(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        db = app.state.rc.db
        cs = clients(url, N)
        try:
            s = shop(cs[0])
            bob = register(cs[0], "bob")
            fits = 17
            fund(db, "bob", 1250 * fits + 1000)  # 17 orders and change
            answers = race(N, lambda i: order(cs[i], bob, s.code, f"key-{i}"))
        finally:
            close_all(cs)
        outcomes = Counter((r.status_code, r.json().get("error", {}).get("code")) for r in answers)
        assert outcomes == {(201, None): fits, (409, "insufficient_funds"): N - fits}, outcomes
        assert balance(db, "bob") == 1000
        with db.read_transaction() as s_:
            paid = s_.scalar(select(func.count()).select_from(Order).where(Order.status == "paid"))
            assert paid == fits
            assert s_.scalar(select(func.count()).select_from(Order)) == fits
        ledger_ok(db)
    # And the operator's own check, as a separate process: exit 0 only when consistent.
    cli = Path(sys.executable).with_name("relaycode")
    done = subprocess.run(
        [os.fspath(cli), "ledger", "check"], env=server_env(settings), capture_output=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_refunds_racing_payments_of_one_buyer_never_deadlock(settings: Settings) -> None:
    n = 16
    with live_app(settings) as (url, app):
        db = app.state.rc.db
        cs = clients(url, 2 * n)
        try:
            s = shop(cs[0])
            rules(cs[0], s)
            alice, bob = register(cs[0], "alice"), register(cs[0], "bob")
            code = share(cs[0], alice, s.code)
            fund(db, "bob", 1250 * 2 * n)
            paid = [order(cs[0], bob, code, f"first-{i}").json()["id"] for i in range(n)]

            def act(i: int) -> Any:
                if i < n:
                    return cs[i].post(f"/api/v1/orders/{paid[i]}/refund", headers=bearer(s.owner))
                return order(cs[i], bob, code, f"second-{i}")

            answers = race(2 * n, act)
        finally:
            close_all(cs)
        assert sorted(r.status_code for r in answers) == [200] * n + [201] * n, [
            r.text for r in answers if r.status_code >= 300
        ][:3]
        assert balance(db, "bob") == 1250 * n
        ledger_ok(db)

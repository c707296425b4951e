"""Killing a real server (SIGKILL) in the middle of a stream of checkouts loses nothing.

After the restart: ``ledger check`` passes, every paid order has its commission, no order
is charged twice (a retried key answers the first order; the buyer's wallet is short by
exactly the paid orders), and the webhooks pending at the kill are still delivered.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from helpers import auth, issue, register
from notify_support import Receiver, start_receiver
from sqlalchemy import func, select
from subprocess_env import QUICK_WEBHOOKS, free_port, server_env
from subprocess_env import serving as serve_process

from relaycode.config import Settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.models import Commission, LedgerTransaction, Order, WebhookDelivery
from relaycode.payments import ledger_check, wallet

STARTUP_SECONDS = 90.0
PRICE = 1250
GRANT = 1_000_000


def _env(settings: Settings) -> dict[str, str]:
    # One address for both runs (each listens on a new port): the codes stay ours.
    return server_env(settings, **QUICK_WEBHOOKS, RELAYCODE_PUBLIC_URL="https://shop.example.test")


@contextmanager
def serving(settings: Settings, port: int) -> Iterator[subprocess.Popen[bytes]]:
    with serve_process(_env(settings), port, startup_seconds=STARTUP_SECONDS) as proc:
        yield proc


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    server = start_receiver(r)
    yield r
    server.shutdown()
    server.server_close()


def _database(settings: Settings) -> Database:
    return Database(make_engine(settings.resolved_database_url))


def _grant(settings: Settings, username: str) -> None:
    db = _database(settings)
    try:
        with db.transaction() as s:
            wallet.grant_to(s, username, GRANT, "CNY", idempotency_key=f"test:{username}")
    finally:
        db.dispose()


def _setup(c: httpx.Client, receiver: Receiver) -> tuple[str, str, str]:
    """Merchant with an offer, 10 % level-1 rules and a webhook; alice's share; bob."""
    owner = register(c, "owner")
    r = c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=auth(owner))
    mid = r.json()["id"]
    body = {"title": "Tea", "price_minor": PRICE, "currency": "CNY", "payment_methods": ["wallet"]}
    offer = c.post("/api/v1/merchants/shop/offers", json=body, headers=auth(owner)).json()
    rules = {"currency": "CNY", "levels": [{"percent_bp": 1000}], "max_depth": 1}
    r = c.put(f"/api/v1/offers/{offer['id']}/commission-rules", json=rules, headers=auth(owner))
    assert r.status_code == 200, r.text
    hook = c.post(
        f"/api/v1/merchants/{mid}/webhooks",
        json={"url": receiver.url, "events": ["order.paid", "commission.created"]},
        headers=auth(owner),
    )
    assert hook.status_code == 201, hook.text
    alice = register(c, "alice")
    root = issue(c, owner, offer["id"])  # type: ignore[arg-type]
    r = c.post("/api/v1/shares", json={"code": root}, headers=auth(alice))
    assert r.status_code == 201, r.text
    return owner, r.json()["code"], register(c, "bob")


def test_a_sigkill_mid_checkout_stream_loses_nothing(
    settings: Settings, receiver: Receiver
) -> None:
    receiver.default, receiver.delay = 503, 0.1  # the merchant's server is down at first
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sent: list[str] = []
    answered: dict[str, int] = {}
    with serving(settings, port) as proc, httpx.Client(base_url=base, timeout=10) as c:
        _owner, share, bob = _setup(c, receiver)
        _grant(settings, "bob")
        stop = threading.Event()

        def checkouts(n: int) -> None:
            with httpx.Client(base_url=base, timeout=5) as s:
                for i in range(300):
                    if stop.is_set():
                        return
                    key = f"k{n}-{i}"
                    sent.append(key)
                    body = {"code": share, "quantity": 1, "payment_method": "wallet"}
                    headers = {**auth(bob), "Idempotency-Key": key}
                    try:
                        r = s.post("/api/v1/orders", json=body, headers=headers)
                    except httpx.HTTPError:
                        return  # killed under us
                    if r.status_code == 201:
                        answered[key] = r.json()["id"]

        senders = [threading.Thread(target=checkouts, args=(n,)) for n in range(4)]
        for t in senders:
            t.start()
        deadline = time.monotonic() + 60
        while len(answered) < 20:
            assert time.monotonic() < deadline, f"only {len(answered)} checkouts in 60 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # mid-stream: requests and deliveries in flight
        proc.wait(timeout=10)
        stop.set()
        for t in senders:
            t.join(10)
    receiver.default, receiver.delay = 200, 0.0  # the merchant's server is back
    port = free_port()
    with serving(settings, port), httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
        # Every key retried after the restart: answered ones give the same order, the
        # ones cut off give one order now (or the one committed before the kill).
        for key in sent:
            r = c.post(
                "/api/v1/orders",
                json={"code": share, "quantity": 1, "payment_method": "wallet"},
                headers={**auth(bob), "Idempotency-Key": key},
            )
            assert r.status_code in (200, 201), r.text
            if key in answered:
                assert r.json()["id"] == answered[key]
        db = _database(settings)
        try:
            deadline = time.monotonic() + 60
            while True:
                with db.read_transaction() as s:
                    statuses = list(s.scalars(select(WebhookDelivery.status)))
                if statuses and all(st == "succeeded" for st in statuses):
                    break
                assert time.monotonic() < deadline, "pending webhooks were not delivered"
                time.sleep(0.2)
            with db.read_transaction() as s:
                orders = list(s.scalars(select(Order)))
                assert len(orders) == len(set(sent))  # one order per key, none twice
                assert all(o.status == "paid" for o in orders)
                assert ledger_check.check(s).ok
                for o in orders:
                    commission = s.scalar(select(Commission).where(Commission.order_id == o.id))
                    assert commission is not None and commission.amount_minor == PRICE // 10
                pays = s.scalar(
                    select(func.count()).where(
                        LedgerTransaction.idempotency_key.like("order:%:pay")
                    )
                )
                assert pays == len(orders)
                bob_wallet = wallet.wallet_account(s, orders[0].buyer_user_id, "CNY")
                assert bob_wallet.balance_minor == GRANT - PRICE * len(orders)
                delivered = {r.event_id for r in receiver.received}
                paid_events = s.scalar(
                    select(func.count()).where(WebhookDelivery.event_type == "order.paid")
                )
                assert paid_events == len(orders)  # one order.paid per order, none lost
                ids = set(s.scalars(select(WebhookDelivery.event_id)))
                assert ids <= delivered  # every delivery row reached the receiver
        finally:
            db.dispose()

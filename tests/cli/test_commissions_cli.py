"""``relaycode commissions release`` and the worker loop's release of due commissions."""

from __future__ import annotations

import json

from commission_support import balance, make_shop, pay_order, rows, rules
from typer.testing import CliRunner

from relaycode.cli.main import app
from relaycode.config import Settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.notify.worker import DeliveryWorker


def test_release_moves_due_commissions_once(cli: CliRunner, settings: Settings) -> None:
    db = Database(make_engine(settings.resolved_database_url))
    try:
        shop = make_shop(db, rules(1000, hold_days=0))
        with db.transaction() as s:
            oid = pay_order(s, shop, "buyer", ["alice"], 10_000).id
        first = cli.invoke(app, ["commissions", "release", "--json"])
        assert first.exit_code == 0, first.output
        assert json.loads(first.output) == {"released": 1}
        again = cli.invoke(app, ["commissions", "release"])
        assert again.exit_code == 0 and again.output.strip() == "released 0 commission(s)"
        with db.transaction() as s:
            assert rows(s, oid)[0].status == "available"
            assert balance(s, "commissions_available", user_id=shop.users["alice"]) == 1000
        usage = cli.invoke(app, ["commissions"])
        assert "release" in usage.output
    finally:
        db.dispose()


def test_the_worker_loop_releases_too(settings: Settings) -> None:
    db = Database(make_engine(settings.resolved_database_url))
    worker = DeliveryWorker(db, settings)
    try:
        shop = make_shop(db, rules(500, hold_days=0))
        with db.transaction() as s:
            oid = pay_order(s, shop, "buyer", ["alice"], 10_000).id
        worker.drain()
        with db.transaction() as s:
            assert rows(s, oid)[0].status == "available"
        assert worker.releaser.released == 1
    finally:
        worker.stop()
        db.dispose()

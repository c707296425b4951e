"""``relaycode worker``: deliver outbound webhooks from the outbox, on its own.

``relaycode serve`` runs the same worker in a thread (``RELAYCODE_WEBHOOK_WORKER``);
this command is for running more of them, or delivery apart from the web servers. Any
number may run against one PostgreSQL database (rows are claimed with SKIP LOCKED).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from relaycode.cli.common import one_line_errors, settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.notify.worker import DeliveryWorker


def worker(
    once: bool = typer.Option(False, "--once", help="Deliver what is due now, then exit."),
) -> None:
    """Deliver webhooks from the outbox until stopped (SIGTERM or Ctrl-C)."""
    s = settings()
    with one_line_errors():
        db = Database(make_engine(s.resolved_database_url))
        try:
            delivery = DeliveryWorker(db, s)
            if once:
                attempts = delivery.drain()
                st = delivery.stats
                typer.echo(f"{attempts} attempts: {st.succeeded} delivered, "
                           f"{st.failed_attempts} failed (retried later)")  # fmt: skip
                delivery.stop()
                return
            stop = threading.Event()

            def ask_stop(_sig: int, _frame: FrameType | None) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, ask_stop)
            signal.signal(signal.SIGINT, ask_stop)
            typer.echo(f"relaycode worker: delivering webhooks (data: {s.data_dir})")
            delivery.start()
            while not stop.wait(1.0):
                pass
            delivery.stop()
            typer.echo(f"stopped: {delivery.stats.succeeded} delivered")
        finally:
            db.dispose()

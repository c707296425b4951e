"""``relaycode ledger check`` — prove the wallet ledger consistent (payments/ledger_check.py).

Exit codes: 0 the ledger is consistent; 1 a problem was found (each listed) or the
database could not be read; 2 bad usage.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from relaycode.cli.common import console, err_console, one_line_errors, settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.payments.ledger_check import check as run_check

app = typer.Typer(no_args_is_help=True)


@contextmanager
def snapshot() -> Iterator[Session]:
    """One read-only transaction that sees a single state of the database throughout:
    REPEATABLE READ on PostgreSQL; on SQLite (WAL) a read transaction already does."""
    db = Database(make_engine(settings().resolved_database_url))
    try:
        if db.is_sqlite:
            with db.read_transaction() as session:
                yield session
            return
        engine = db.engine.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        with Session(engine) as session, session.begin():
            yield session
    finally:
        db.dispose()


@app.command("check")
def check(
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Verify that every transaction balances, every account's balance is the sum of its
    entries, and no account that must not go negative is. Exit 0 only then."""
    with one_line_errors(), snapshot() as db:
        report = run_check(db)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif report.ok:
        console.print(
            f"ledger ok: {report.transactions} transactions, {report.entries} entries, "
            f"{report.accounts} accounts",
            highlight=False,
        )
    else:
        for problem in report.problems:
            err_console.print(f"problem: {problem.message}", highlight=False, soft_wrap=True)
        err_console.print(
            f"ledger NOT consistent: {len(report.problems)} problem(s)", highlight=False
        )
    if not report.ok:
        raise typer.Exit(1)

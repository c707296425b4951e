"""``relaycode commissions release`` — move commissions whose hold is over from pending
to available now (the worker loop does the same every RELAYCODE_COMMISSION_RELEASE_SECONDS).

Exit codes: 0 done (also when nothing was due); 1 the database could not be used.
"""

from __future__ import annotations

import json

import typer

from relaycode.cli.common import one_line_errors, settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.referrals.release_runner import release_all

app = typer.Typer(no_args_is_help=True)


@app.command("release")
def release(as_json: bool = typer.Option(False, "--json", help="Print the count as JSON.")) -> None:
    """Release every commission whose hold period has ended (one ledger transaction each)."""
    with one_line_errors():
        db = Database(make_engine(settings().resolved_database_url))
        try:
            done = release_all(db)
        finally:
            db.dispose()
    typer.echo(json.dumps({"released": done}) if as_json else f"released {done} commission(s)")

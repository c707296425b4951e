from __future__ import annotations

import typer

from relaycode.cli.common import console, settings
from relaycode.db import migrate

app = typer.Typer(no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    url = settings().resolved_database_url
    migrate.upgrade(url, revision)
    console.print(f"database at [bold]{revision}[/bold]")


@app.command()
def downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. 'base')."""
    migrate.downgrade(settings().resolved_database_url, revision)
    console.print(f"database at [bold]{revision}[/bold]")

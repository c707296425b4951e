from __future__ import annotations

import json

import typer
from rich.table import Table

from relaycode.cli.common import console, fail, keyring

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json")) -> None:
    """Show every key, its algorithm and status (active, verify, retired)."""
    infos = keyring().infos()
    if as_json:
        typer.echo(json.dumps([i.__dict__ for i in infos], indent=2))
        return
    table = Table("alg", "kid", "status", "created", "retired")
    for i in infos:
        table.add_row(i.alg, i.kid, i.status, i.created_at, i.retired_at or "")
    console.print(table)


@app.command()
def rotate() -> None:
    """Make new active keys; the old ones keep verifying until retired."""
    ring = keyring()
    ring.rotate()
    kid, _ = ring.active_hmac()
    ed, _ = ring.active_ed25519()
    console.print(f"new active keys: HMAC {kid}, Ed25519 {ed}")


@app.command()
def retire(kid: str) -> None:
    """Stop accepting codes made with a rotated-out key KID."""
    if not keyring().retire(kid):
        raise fail(f"no rotated-out key {kid!r} (only keys in 'verify' status can be retired)")
    console.print(f"retired {kid}")

"""``relaycode keys …`` — the keyring: list, rotate, retire, and backups (export/import)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from relaycode.cli.common import console, fail, keyring, one_line_errors, settings
from relaycode.codes.key_usage import codes_by_key_id
from relaycode.codes.keyfile import import_keyring
from relaycode.db.engine import make_engine

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
    with one_line_errors():
        ring.rotate()
    kid, _ = ring.active_hmac()
    ed, _ = ring.active_ed25519()
    console.print(f"new active keys: HMAC {kid}, Ed25519 {ed}")


@app.command()
def retire(kid: str) -> None:
    """Stop accepting codes made with a rotated-out key KID."""
    ring = keyring()
    with one_line_errors():
        found = ring.retire(kid)
    if not found:
        raise fail(f"no rotated-out key {kid!r} (only keys in 'verify' status can be retired)")
    console.print(f"retired {kid}")


@app.command("export")
def export_keys(
    file: Path = typer.Argument(..., help="Where to write the backup (mode 0600)."),
    force: bool = typer.Option(False, "--force", help="Overwrite FILE if it exists."),
) -> None:
    """Write a backup of the keyring to FILE. Keep it offline: it can forge codes."""
    ring = keyring()
    with one_line_errors():
        ring.export(file, force=force)
    console.print(f"wrote the keyring to {file}; store it somewhere safe and offline")


@app.command("import")
def import_keys(
    file: Path = typer.Argument(..., help="A backup written by 'relaycode keys export'."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace a different keyring already in place (it is kept aside), even one "
        "that cannot verify some codes in the database.",
    ),
) -> None:
    """Restore the keyring from FILE (replaces, never merges; see the README).

    Refused, unless --force, when FILE lacks a key that codes in the database were
    made with: those printed codes would scan as forged."""
    target = settings().data_dir / "keys" / "keyring.json"
    with one_line_errors():
        engine = make_engine(settings().resolved_database_url)
        try:
            with engine.connect() as conn:
                in_use = codes_by_key_id(conn)
        finally:
            engine.dispose()
        console.print(
            import_keyring(target, file, force=force, codes_by_kid=in_use), highlight=False
        )

"""``relaycode credentials …`` and the online half of ``relaycode verify`` — issue items and check
credentials from the command line, with no server running (docs/credentials.md)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import Progress

from relaycode.cli.common import (
    console,
    err_console,
    fail,
    keyring,
    one_line_errors,
    transaction,
)
from relaycode.cli.serve import settings_for_codes
from relaycode.codes.answers import code_text
from relaycode.credentials import issuance
from relaycode.credentials import verify as verifying
from relaycode.db.base import utcnow
from relaycode.errors import AppError
from relaycode.models import Code

app = typer.Typer(no_args_is_help=True)


def _fields(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail(f"--field takes key=value, not {pair!r}", 2)
        out[key.strip()] = value
    return out


@app.command()
def issue(
    template: int = typer.Option(..., help="Template id."),
    holder: str = typer.Option(..., help="The holder's username, or a phone number."),
    field: list[str] = typer.Option([], "--field", help="A field value, key=value (repeat)."),
    as_json: bool = typer.Option(False, "--json", help='Print {"id", "text", ...} as JSON.'),
) -> None:
    """Issue one item bound to HOLDER and print its printed code's text."""
    values = _fields(field)
    with one_line_errors(), transaction() as db:
        ring = keyring()
        row = issuance.Row(holder=holder, fields=dict(values))
        item = issuance.issue_item(db, ring, template, row, actor=None)
        code = db.get(Code, item.code_id)
        assert code is not None
        text = code_text(settings_for_codes(), ring, code)
        out = {"id": item.id, "text": text, "template_id": item.template_id,
               "status": item.status}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
    else:
        typer.echo(text)


@app.command("issue-csv")
def issue_csv(
    file: Path = typer.Argument(..., help="CSV: a header holder,<field key>,... then rows."),
    template: int = typer.Option(..., help="Template id."),
    as_json: bool = typer.Option(False, "--json", help="Print the items as JSON lines."),
) -> None:
    """Issue one item per row of FILE, all or none (a bad row names itself, nothing is
    issued), with a progress bar."""
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{file}: {exc}") from None
    with one_line_errors(), transaction() as db:
        ring = keyring()
        rows = issuance.rows_from_csv(text)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("issuing", total=len(rows))
            try:
                made = issuance.issue_many(
                    db, ring, template, rows, actor=None,
                    progress=lambda n: bar.update(task, completed=n),
                )  # fmt: skip
            except AppError as exc:
                for bad in exc.details.get("rows", []):
                    err_console.print(f"row {bad['row']}: {bad['message']} ({bad['code']})",
                                      highlight=False)  # fmt: skip
                raise
        s = settings_for_codes()
        lines = []
        for item in made:
            code = db.get(Code, item.code_id)
            lines.append({"id": item.id, "text": code_text(s, ring, code) if code else None})
    for line in lines:
        typer.echo(json.dumps(line) if as_json else f"{line['id']}\t{line['text']}")
    if not as_json:
        console.print(f"issued {len(lines)} items")


def verify_online(text: str, *, as_json: bool) -> None:
    """``relaycode verify TEXT`` (cli/verify.py) with the database: any form, and also
    revocation, use and the validity window. Exit 0 only when valid."""
    with one_line_errors(), transaction() as db:
        v = verifying.verify(db, settings_for_codes(), keyring(), text, now=utcnow())
        out: dict[str, object] = {
            "verdict": v.verdict,
            "reason": v.reason,
            "mode": "online",
            "credential_id": v.credential.id if v.credential is not None else None,
            "status": v.status,
        }
    if as_json:
        typer.echo(json.dumps(out))
    else:
        console.print(f"{v.verdict}" + (f": {v.reason}" if v.reason else ""))
    raise typer.Exit(0 if v.verdict == "valid" else 1)

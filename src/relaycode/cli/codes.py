"""``relaycode codes …`` — the code generator of Fig. 5, usable with no server running."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import typer
from rich.progress import Progress
from sqlalchemy.exc import OperationalError

from relaycode.catalog.service import get_offer
from relaycode.cli.common import (
    console,
    fail,
    glyph_warnings,
    keyring,
    one_line_errors,
    settings,
    transaction,
)
from relaycode.cli.serve import settings_for_codes
from relaycode.codes import service
from relaycode.codes.classify import classify
from relaycode.codes.credential_check import credential_check

app = typer.Typer(no_args_is_help=True)
SYMBOLOGIES = ("qr", "microqr", "code128", "datamatrix", "pdf417", "aztec")


@app.command()
def issue(
    offer: int = typer.Option(..., help="Offer id."),
    channel: str = typer.Option(None, help="Where the code will be published."),
) -> None:
    """Issue a first-generation code for an offer and print its text."""
    with one_line_errors(), transaction() as db:
        ring = keyring()
        code = service.issue_offer_code(db, ring, get_offer(db, offer), channel=channel)
        typer.echo(service.code_text(settings_for_codes(), ring, code))


@app.command()
def render(
    text: str,
    out: Path = typer.Option(..., help="Output file: .png, .svg or .pdf"),
    symbology: str = typer.Option("qr", help="|".join(SYMBOLOGIES)),
    ecc: str = typer.Option("M", help="QR error correction: L, M, Q or H"),
    scale: int = typer.Option(8, help="Pixels per module."),
    border: int = typer.Option(4, help="Quiet zone in modules."),
    caption: str = typer.Option(None, help="Text printed under the code."),
) -> None:
    """Render TEXT as a barcode image."""
    from pydantic import ValidationError

    from relaycode.codes import render as r

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise fail("--out must end in .png, .svg or .pdf")
    try:
        opts = r.RenderOptions(
            symbology=symbology, ecc=ecc, scale=scale, border=border, caption=caption
        )
    except ValidationError as exc:
        raise fail(exc.errors()[0]["msg"]) from None
    with one_line_errors(), glyph_warnings():
        data = {"png": r.render_png, "svg": r.render_svg, "pdf": r.render_pdf}[fmt](text, opts)
        out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)")


@app.command()
def decode(
    image: Path,
    as_json: bool = typer.Option(False, "--json"),
    seconds: float = typer.Option(
        10.0,
        "--seconds",
        min=0.1,
        help="Search time limit (the API uses RELAYCODE_DECODE_SECONDS).",
    ),
) -> None:
    """Print the text of every barcode found in IMAGE, one line per symbol (a code printed
    twice is printed twice; --json adds each one's corners)."""
    from relaycode.codes.decode import decode_image_bytes

    s = settings()
    with one_line_errors():
        found = decode_image_bytes(
            image.read_bytes(),
            max_bytes=s.max_upload_bytes,
            max_pixels=s.max_image_pixels,
            max_memory=s.decode_memory_mb * 1024 * 1024,
            seconds=seconds,
            effort=float("inf"),  # no server to share: every stage, within --seconds
        )
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "text": b.text,
                        "symbology": b.symbology,
                        "position": b.position,
                        "engine": b.engine,
                    }
                    for b in found
                ],
                ensure_ascii=False,
            )
        )
    else:
        for b in found:
            typer.echo(b.text)
    if not found:
        raise fail("no barcode found", code=3)


@app.command()
def inspect(text: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Say what TEXT is: ours, ours_invalid (+ reason), foreign_url, gtin or text.

    Exit status: 0 for ours, foreign_url, gtin and text; 1 for ours_invalid (forged,
    expired, withdrawn, unknown: a script can tell a genuine code from any other) and
    for errors; 2 for bad usage.
    """
    # Ours is what this instance's codes carry (the served address included).
    s, ring = settings_for_codes(quiet=True), keyring()
    try:
        with transaction() as db:
            result, _code = service.resolve_text(db, s, ring, text)
            doc = result.model_dump(mode="json", exclude_none=True)
    except OperationalError:
        # No database here (a bare generator machine): judge the text alone.
        c = classify(text, s.our_hosts, ring.hmac_key, credential_check(s, ring))
        doc = {"verdict": c.verdict, "reason": c.reason, "note": "database not available"}
    doc.setdefault("reason", None)
    if as_json:
        typer.echo(json.dumps(doc, ensure_ascii=False))
    else:
        line = doc["verdict"] + (f" ({doc['reason']})" if doc.get("reason") else "")
        if doc.get("offer"):
            line += f": {doc['offer']['title']}"
        elif doc.get("link"):
            line += f": {doc['link']['host']}"
        typer.echo(line)
    if doc["verdict"] == "ours_invalid":
        raise typer.Exit(1)


@app.command("print")
def print_sheet(
    offer: int = typer.Option(..., help="Offer id."),
    count: int = typer.Option(..., min=1, max=100_000, help="How many codes."),
    out: Path = typer.Option(..., help="The PDF sheet to write."),
    channel: str = typer.Option("print", help="Channel recorded on each code."),
    columns: int = typer.Option(4, min=1, max=12),
) -> None:
    """Issue COUNT codes for an offer and lay them out on a printable PDF sheet."""
    from relaycode.codes.sheets import SheetItem, render_sheet_pdf

    s, ring = settings_for_codes(), keyring()
    items: list[SheetItem] = []
    # Everything that can be refused is checked before the progress bar is drawn, and
    # the sheet is written inside the transaction: no codes are issued for a failed sheet.
    with one_line_errors(), glyph_warnings(), transaction() as db:
        o = get_offer(db, offer)
        _check_writable(out)
        first = service.issue_offer_code(db, ring, o, channel=channel)  # the rules, once
        with Progress(console=console, transient=False) as progress:
            task = progress.add_task("issuing", total=count)
            for n in range(count):
                code = first if n == 0 else service.issue_offer_code(db, ring, o, channel=channel)
                text = service.code_text(s, ring, code)
                assert text is not None
                items.append(SheetItem(text=text, caption=f"{o.title} · {code.id[:8]}"))
                progress.advance(task)
            layout = progress.add_task("laying out", total=count)
            pdf = render_sheet_pdf(
                items, columns=columns, progress=lambda n: progress.update(layout, completed=n)
            )
        out.write_bytes(pdf)
    console.print(f"wrote {count} codes to {out}")


def _check_writable(out: Path) -> None:
    folder = out.parent
    if out.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(out))
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such directory", str(folder))
    if not os.access(folder, os.W_OK):
        raise PermissionError(errno.EACCES, "permission denied", str(folder))

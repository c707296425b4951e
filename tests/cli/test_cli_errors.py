"""CLI errors are one line in our words, before any progress bar; glyph loss is a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaycode.cli.main import app
from relaycode.codes import fonts, render
from relaycode.config import get_settings


def _error_line(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Errno" not in lines[0] and "Traceback" not in result.output
    return lines[0]


def test_missing_and_unreadable_files_are_said_in_our_words(cli: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nope.png"
    assert _error_line(cli, "codes", "decode", str(missing)) == (
        f"error: {missing}: no such file or directory"
    )
    line = _error_line(cli, "codes", "decode", str(tmp_path))
    assert line == f"error: {tmp_path}: is a directory, not a file"
    out = tmp_path / "no-such-dir" / "x.png"
    assert "no such file or directory" in _error_line(
        cli, "codes", "render", "x", "--out", str(out)
    )
    assert "keys import" not in _error_line(cli, "keys", "import", str(missing))


def test_print_fails_before_drawing_a_progress_bar(cli: CliRunner, tmp_path: Path) -> None:
    demo = json.loads(cli.invoke(app, ["demo", "--json"]).output)
    sheet = str(tmp_path / "sheet.pdf")
    line = _error_line(cli, "codes", "print", "--offer", "999", "--count", "5", "--out", sheet)
    assert "offer_not_found" in line
    offer = str(demo["offers"][0]["id"])
    bad_dir = str(tmp_path / "missing" / "sheet.pdf")
    line = _error_line(cli, "codes", "print", "--offer", offer, "--count", "5", "--out", bad_dir)
    assert "missing: no such file or directory" in line
    # Nothing was issued for the sheet that could not be written.
    listed = cli.invoke(app, ["codes", "inspect", demo["offers"][0]["code"], "--json"])
    assert listed.exit_code == 0


def test_help_documents_inspect_exit_status(cli: CliRunner) -> None:
    text = cli.invoke(app, ["codes", "inspect", "--help"]).output
    assert "Exit status" in text and "ours_invalid" in text


def test_print_names_the_glyphs_it_cannot_draw(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fonts, "FALLBACK_CANDIDATES", ())
    render.caption_font.cache_clear()
    demo = json.loads(cli.invoke(app, ["demo", "--json"]).output)
    from sqlalchemy import text

    from relaycode.db.engine import make_engine

    engine = make_engine(get_settings().resolved_database_url)
    with engine.begin() as conn:
        update = text("UPDATE offers SET title = 'Tea 🍵 set' WHERE id = :id")
        conn.execute(update, {"id": demo["offers"][0]["id"]})
    engine.dispose()
    out = tmp_path / "sheet.pdf"
    args = ["codes", "print", "--offer", str(demo["offers"][0]["id"]), "--count", "3"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "🍵 (U+1F375)" in warned[0], result.output
    assert out.read_bytes().startswith(b"%PDF")

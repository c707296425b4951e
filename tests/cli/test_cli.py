"""The command line, run in-process against the test database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaycode.cli.main import app
from relaycode.config import get_settings


def run(cli: CliRunner, *args: str, ok: bool = True) -> str:
    result = cli.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result.output


def test_demo_is_idempotent_and_codes_resolve(cli: CliRunner) -> None:
    first = json.loads(run(cli, "demo", "--json"))
    second = json.loads(run(cli, "demo", "--json"))
    assert first == second
    assert len(first["offers"]) == 3 and set(first["users"]) == {"merchant", "alice", "bob"}
    code = first["offers"][0]["code"]
    verdict = json.loads(run(cli, "codes", "inspect", code, "--json"))
    assert verdict["verdict"] == "ours" and verdict["reason"] is None
    assert verdict["offer"]["title"] == first["offers"][0]["title"]
    assert run(cli, "codes", "inspect", code).startswith("ours: ")


def test_issue_and_inspect_verdicts(cli: CliRunner) -> None:
    offer_id = json.loads(run(cli, "demo", "--json"))["offers"][1]["id"]
    text = run(cli, "codes", "issue", "--offer", str(offer_id), "--channel", "flyer").strip()
    assert text.startswith("HTTPS://RC.TEST/C/")
    tampered = text[:-5] + ("A" if text[-5] != "A" else "B") + text[-4:]
    cases = {
        tampered: ("ours_invalid", "bad_tag"),
        text[:-2]: ("ours_invalid", "malformed"),
        "https://example.org/a": ("foreign_url", None),
        "6901234567892": ("gtin", None),
        "just words": ("text", None),
    }
    for given, expected in cases.items():
        # A script tells genuine from forged by the exit status alone: 1 for ours_invalid.
        result = cli.invoke(app, ["codes", "inspect", given, "--json"])
        assert result.exit_code == (1 if expected[0] == "ours_invalid" else 0), given
        doc = json.loads(result.output)
        assert (doc["verdict"], doc["reason"]) == expected, given
        plain = cli.invoke(app, ["codes", "inspect", given])
        assert plain.exit_code == result.exit_code and plain.output.startswith(expected[0])
    err = run(cli, "codes", "issue", "--offer", "999999", ok=False)
    assert "offer_not_found" in err and len(err.strip().splitlines()) == 1


def test_render_decode_round_trip(cli: CliRunner, tmp_path: Path) -> None:
    text = "HTTPS://RC.TEST/C/AEAQAEJCGNAFKZTXRCM2VO6M3XXP6XO7YR6N3XDFFQ"
    for fmt in ("png", "svg", "pdf"):
        out = tmp_path / f"code.{fmt}"
        run(cli, "codes", "render", text, "--out", str(out))
        assert out.stat().st_size > 100
    decoded = run(cli, "codes", "decode", str(tmp_path / "code.png")).strip()
    assert decoded == text
    aztec = tmp_path / "aztec.png"
    run(cli, "codes", "render", text, "--out", str(aztec), "--symbology", "aztec")
    doc = json.loads(run(cli, "codes", "decode", str(aztec), "--json"))
    assert doc[0]["text"] == text and doc[0]["symbology"] == "aztec"


def test_bad_input_is_one_line_and_non_zero(cli: CliRunner, tmp_path: Path) -> None:
    assert "must end in" in run(
        cli, "codes", "render", "x", "--out", str(tmp_path / "a.gif"), ok=False
    )
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    assert "bad_image" in run(cli, "codes", "decode", str(junk), ok=False)
    run(cli, "codes", "render", "x", "--out", str(tmp_path / "a.png"), "--ecc", "Z", ok=False)
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (50, 50), 255).save(blank)
    assert "no barcode" in run(cli, "codes", "decode", str(blank), ok=False)


def test_print_sheet(cli: CliRunner, tmp_path: Path) -> None:
    offer_id = json.loads(run(cli, "demo", "--json"))["offers"][0]["id"]
    out = tmp_path / "sheet.pdf"
    run(cli, "codes", "print", "--offer", str(offer_id), "--count", "25", "--out", str(out))
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    assert len(pages) == 2  # 20 codes on an A4 page at 4 columns


def test_keys_rotate_and_retire(cli: CliRunner) -> None:
    before = json.loads(run(cli, "keys", "list", "--json"))
    assert {k["status"] for k in before} == {"active"}
    run(cli, "keys", "rotate")
    after = json.loads(run(cli, "keys", "list", "--json"))
    assert sorted(k["status"] for k in after) == ["active", "active", "verify", "verify"]
    old_hmac = next(k["kid"] for k in after if k["alg"] == "HS256" and k["status"] == "verify")
    run(cli, "keys", "retire", old_hmac)
    run(cli, "keys", "retire", old_hmac, ok=False)  # already retired


@pytest.mark.parametrize(
    "argv",
    [
        ["codes", "issue", "--offer", "abc"],
        ["codes", "print", "--offer", "1", "--count", "0", "--out", "x.pdf"],
        ["no-such-command"],
    ],
)
def test_usage_errors_are_one_line(
    cli: CliRunner, argv: list[str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from relaycode.cli.main import main

    monkeypatch.setattr("sys.argv", ["relaycode", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err


def test_unmigrated_database_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYCODE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RELAYCODE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["codes", "issue", "--offer", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "relaycode db upgrade" in result.output

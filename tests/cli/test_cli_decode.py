"""``relaycode codes decode``: one line per symbol found, repeats included."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import segno
from PIL import Image
from typer.testing import CliRunner

from relaycode.cli.main import app


def _qr(text: str) -> np.ndarray:
    bits = np.array([list(r) for r in segno.make(text).matrix_iter(scale=1, border=4)], bool)
    return np.kron(np.where(bits, 0, 255).astype(np.uint8), np.ones((4, 4), np.uint8))


def test_a_code_printed_three_times_is_printed_three_times(cli: CliRunner, tmp_path: Path) -> None:
    codes = [_qr(t) for t in ("ONE", "TWO", "ONE", "ONE")]
    side = max(c.shape[0] for c in codes)
    page = np.full((side + 20, len(codes) * (side + 20)), 255, np.uint8)
    for i, c in enumerate(codes):
        page[10 : 10 + c.shape[0], 10 + i * (side + 20) : 10 + i * (side + 20) + c.shape[1]] = c
    path = tmp_path / "sheet.png"
    Image.fromarray(page).save(path)
    result = cli.invoke(app, ["codes", "decode", str(path), "--seconds", "5"])
    assert result.exit_code == 0, result.output
    assert sorted(result.output.split()) == ["ONE", "ONE", "ONE", "TWO"]
    result = cli.invoke(app, ["codes", "decode", str(path), "--json"])
    found = json.loads(result.output)
    assert len({tuple(b["position"][0]) for b in found}) == 4  # four places

"""Emoji in print-sheet captions: drawn with a fallback font, or named in a warning."""

from __future__ import annotations

import io
import re
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from relaycode.codes import fonts, render
from relaycode.codes.fonts import MissingGlyphsWarning
from relaycode.codes.render import RenderOptions, render_pdf
from relaycode.codes.sheets import SheetItem, render_sheet_pdf

SYMBOLA = ("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf", 0)
URL = "HTTPS://RC.TEST/C/AEAQAEJCGNAFKZTXRCM2VO6M3XXP6XO7YR6N3XDFFQ"
CAPTION = "Tea 🍵 茶 ✓"


def _streams(pdf: bytes) -> bytes:
    """Every stream of the PDF, inflated: the fonts' ToUnicode maps are in there."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return b"\n".join(out).upper()


def _drawn(pdf: bytes, ch: str) -> bool:
    return ch.encode("utf-16-be").hex().upper().encode() in _streams(pdf)


def _sheet(caption: str) -> tuple[bytes, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingGlyphsWarning)
        pdf = render_sheet_pdf([SheetItem(URL, caption, "abc123")] * 3)
    return pdf, [str(w.message) for w in caught if w.category is MissingGlyphsWarning]


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("RELAYCODE_CAPTION_FONT", raising=False)
    render.caption_font.cache_clear()
    yield monkeypatch
    render.caption_font.cache_clear()


def test_emoji_are_drawn_with_a_fallback_font(fallbacks: pytest.MonkeyPatch) -> None:
    if not Path(SYMBOLA[0]).is_file():
        pytest.skip("fonts-symbola is not installed (scripts/test.sh installs it)")
    fallbacks.setattr(fonts, "FALLBACK_CANDIDATES", (SYMBOLA,))
    pdf, warned = _sheet(CAPTION)
    assert warned == []
    for ch in "🍵茶✓T":
        assert _drawn(pdf, ch), ch
    single = render_pdf(URL, RenderOptions(caption="🍵 tea"))
    assert _drawn(single, "🍵")


def test_a_glyph_no_font_has_is_named(fallbacks: pytest.MonkeyPatch) -> None:
    fallbacks.setattr(fonts, "FALLBACK_CANDIDATES", ())
    pdf, warned = _sheet(CAPTION)
    assert warned and all("🍵 (U+1F375)" in w for w in warned)
    assert _drawn(pdf, "茶") and not _drawn(pdf, "🍵")


def test_without_any_font_the_dropped_characters_are_named(
    fallbacks: pytest.MonkeyPatch,
) -> None:
    fallbacks.setattr(render, "_FONT_CANDIDATES", (("/nonexistent/font.ttf", 0),))
    fallbacks.setattr(fonts, "FALLBACK_CANDIDATES", ())
    render.caption_font.cache_clear()
    _pdf, warned = _sheet("优惠券 tea")
    assert warned and "优 (U+4F18), 惠 (U+60E0), 券 (U+5238)" in warned[0]


def test_invisible_format_characters_are_not_reported(fallbacks: pytest.MonkeyPatch) -> None:
    fallbacks.setattr(fonts, "FALLBACK_CANDIDATES", ())
    _pdf, warned = _sheet("tea\u200d\ufe0f")
    assert warned == []


# ---- PNG captions: Pillow has no fallback of its own, so runs are drawn font by font ----


def _png_caption(caption: str) -> tuple[bytes, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingGlyphsWarning)
        png = render.render_png(URL, RenderOptions(caption=caption, scale=8))
    return png, [str(w.message) for w in caught if w.category is MissingGlyphsWarning]


def test_png_caption_runs_take_the_emoji_from_the_fallback(
    fallbacks: pytest.MonkeyPatch,
) -> None:
    if not Path(SYMBOLA[0]).is_file():
        pytest.skip("fonts-symbola is not installed (scripts/test.sh installs it)")
    fallbacks.setattr(fonts, "FALLBACK_CANDIDATES", (SYMBOLA,))
    primary = render.caption_font()
    runs, dropped = fonts.font_runs("茶 🍵 tea", primary)
    assert dropped == []
    assert ("".join(run for _, run in runs)) == "茶 🍵 tea"
    by_char = {ch: spec for spec, run in runs for ch in run}
    assert by_char["🍵"] == SYMBOLA and by_char["茶"] == primary != SYMBOLA
    _png, warned = _png_caption("茶 🍵 tea")
    assert warned == []


def _caption_ink(png: bytes, caption: str) -> int:
    """Dark pixels in the caption strip below the code."""
    lay = render._layout(URL, RenderOptions(caption=caption, scale=8))
    with Image.open(io.BytesIO(png)) as img:
        grey = np.asarray(img.convert("L"))
    return int((grey[lay.caption_y - lay.font_px : lay.height] < 128).sum())


def test_png_emoji_is_not_the_missing_glyph_box(fallbacks: pytest.MonkeyPatch) -> None:
    """With the fallback the emoji is drawn; without it, it is named and left out."""
    if not Path(SYMBOLA[0]).is_file():
        pytest.skip("fonts-symbola is not installed (scripts/test.sh installs it)")
    fallbacks.setattr(fonts, "FALLBACK_CANDIDATES", (SYMBOLA,))
    with_fallback, warned = _png_caption("🍵")
    assert warned == []
    assert _caption_ink(with_fallback, "🍵") > 20
    fallbacks.setattr(fonts, "FALLBACK_CANDIDATES", ())
    without, warned = _png_caption("🍵")
    assert warned and "🍵 (U+1F375)" in warned[0]
    assert _caption_ink(without, "🍵") == 0  # left out, not drawn as a box


def test_png_caption_names_what_no_font_has(fallbacks: pytest.MonkeyPatch) -> None:
    _png, warned = _png_caption("tea \U0010fffd")
    assert warned and "U+10FFFD" in warned[0]

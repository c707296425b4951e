"""Emoji in print-sheet captions: drawn with a fallback font, or named in a warning."""

from __future__ import annotations

import re
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

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

"""Caption fonts for PDFs and PNGs: the CJK font first, then fallbacks for emoji and symbols.

The CJK font has no emoji, and fpdf2 leaves out a glyph no font has with only a log
line. Here every character is looked up in the fonts' character maps first: what a
fallback font has is drawn with it (``set_fallback_fonts``), and what none has is left
out *with* a ``MissingGlyphsWarning`` naming it (the CLI prints it). Colour emoji fonts
(CBDT/COLR, e.g. Noto Color Emoji) are not usable by fpdf2: the fallbacks are outline
fonts — Noto Emoji (monochrome), Symbola (Debian's fonts-symbola), DejaVu Sans.
PNG captions (Pillow has no fallback of its own) are drawn run by run from ``font_runs``.
"""

from __future__ import annotations

import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

FontSpec = tuple[str, int]  # (path, face index in a collection)
FALLBACK_CANDIDATES: tuple[FontSpec, ...] = (
    ("/usr/share/fonts/truetype/noto/NotoEmoji-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
)


class MissingGlyphsWarning(UserWarning):
    """Characters of a caption that no available font can draw (they are left out)."""


def fallback_fonts() -> list[FontSpec]:
    return [spec for spec in FALLBACK_CANDIDATES if Path(spec[0]).is_file()]


@lru_cache(maxsize=16)
def _cmap(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def _needs_glyph(ch: str) -> bool:
    # Spaces, format characters (zero-width joiner) and variation selectors draw nothing.
    code = ord(ch)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return False
    return not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc")


def describe(chars: list[str]) -> str:
    return ", ".join(f"{c} (U+{ord(c):04X})" for c in dict.fromkeys(chars))


def warn_missing(dropped: list[str]) -> None:
    if dropped:
        warnings.warn(
            MissingGlyphsWarning(
                f"no caption font can draw {describe(dropped)}: left out of the caption "
                "(install a font that has them: fonts-noto-cjk for Chinese, fonts-symbola "
                "for emoji)"
            ),
            stacklevel=3,
        )


def font_runs(
    text: str, primary: FontSpec | None
) -> tuple[list[tuple[FontSpec | None, str]], list[str]]:
    """Split ``text`` into runs, each drawn with the first font that has its glyphs.

    Returns the runs and the characters no font has (left out: pass them to
    ``warn_missing``). Characters that draw nothing (spaces, joiners, variation
    selectors) stay in the run they follow. With no usable font at all the whole text is
    one run for the library's default font (``None``), as before.
    """
    specs = [primary] if primary else []
    specs += [spec for spec in fallback_fonts() if spec != primary]
    covers: list[tuple[FontSpec, frozenset[int]]] = []
    for candidate in specs:
        try:
            covers.append((candidate, _cmap(*candidate)))
        except Exception:  # a broken font file must not break rendering
            continue
    if not covers:
        return [(None, text)], []
    runs: list[tuple[FontSpec | None, str]] = []
    dropped: list[str] = []
    for ch in text:
        font: FontSpec | None
        if not _needs_glyph(ch):
            font = runs[-1][0] if runs else covers[0][0]
        else:
            found = [s for s, cover in covers if ord(ch) in cover]
            if not found:
                dropped.append(ch)
                continue
            font = found[0]
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs, dropped


def select_pdf_font(
    pdf: FPDF, text: str, primary: FontSpec | None, family: str = "caption"
) -> tuple[str, str]:
    """Add the fonts to ``pdf``; return (family to set, the text as it can be shown)."""
    specs = [primary] if primary else []
    specs += [spec for spec in fallback_fonts() if spec != primary]
    usable: list[tuple[str, frozenset[int]]] = []
    for n, (path, index) in enumerate(specs):
        name = family if n == 0 and primary else f"{family}-fallback{n}"
        try:
            cover = _cmap(path, index)
            if name not in pdf.fonts:
                pdf.add_font(name, "", path, collection_font_number=index)
        except Exception:  # a broken font file must not break printing
            continue
        usable.append((name, cover))
    if not usable:
        shown = text.encode("latin-1", "ignore").decode("latin-1")
        warn_missing([c for c in text if c not in shown and _needs_glyph(c)])
        return "helvetica", shown
    covered = [cover for _, cover in usable]
    kept, dropped = [], []
    for ch in text:
        if any(ord(ch) in cover for cover in covered):
            kept.append(ch)
        elif _needs_glyph(ch):
            dropped.append(ch)
        elif ch.isspace():
            kept.append(" ")
    if len(usable) > 1:
        pdf.set_fallback_fonts([name for name, _ in usable[1:]])
    warn_missing(dropped)
    return usable[0][0], "".join(kept)

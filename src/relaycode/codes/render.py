"""Render one code as PNG, SVG or PDF: QR via segno, other symbologies via zxing-cpp.

All symbologies become a boolean module matrix drawn by the same code. A module is
``scale`` px; in PDF a px is 1/96 inch (0.75 pt), as in CSS/SVG.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from xml.sax.saxutils import escape

import numpy as np
import segno
import zxingcpp
from fpdf import FPDF
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from relaycode.codes.fonts import font_runs, select_pdf_font, warn_missing
from relaycode.errors import InvalidInput, TooLarge

Symbology = Literal["qr", "microqr", "code128", "datamatrix", "pdf417", "aztec"]
Ecc = Literal["L", "M", "Q", "H"]
Modules = NDArray[np.bool_]
PT_PER_PX = 0.75
MAX_PIXELS = 40_000_000
_SVG_NS = "http://www.w3.org/2000/svg"
CODE128_MIN_QUIET = 10  # ISO/IEC 15417 asks for 10 modules left and right
_HEX = r"^#[0-9A-Fa-f]{6}$"
_ZX_FORMATS = {
    "microqr": zxingcpp.BarcodeFormat.MicroQRCode,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "pdf417": zxingcpp.BarcodeFormat.PDF417,
    "aztec": zxingcpp.BarcodeFormat.Aztec,
}
# (path, face index in a collection): CJK-capable first, first existing file wins.
_FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # 2 = the SC face
    ("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
)


class RenderOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    symbology: Symbology = "qr"
    ecc: Ecc = "M"  # QR only
    scale: int = Field(default=8, ge=1, le=50)
    border: int = Field(default=4, ge=0, le=20)
    dark: str = Field(default="#000000", pattern=_HEX)
    light: str = Field(default="#FFFFFF", pattern=f"{_HEX}|^transparent$")  # PDF stays white
    caption: str | None = Field(default=None, max_length=80)

    @field_validator("caption")
    @classmethod
    def _check_caption(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in v):
            raise ValueError("caption must be a single line of printable text")
        return v.strip() or None

    @model_validator(mode="after")
    def _check_contrast(self) -> RenderOptions:
        if self.dark.upper() == self.light.upper():
            raise ValueError("dark and light colours must differ")
        return self


@lru_cache(maxsize=1)
def caption_font() -> tuple[str, int] | None:
    """(path, face index) of the best caption font here (CJK-capable first), or None."""
    override = os.environ.get("RELAYCODE_CAPTION_FONT")
    if override and os.path.isfile(override):
        return override, 0
    return next(((p, i) for p, i in _FONT_CANDIDATES if os.path.isfile(p)), None)


@lru_cache(maxsize=128)
def _pil_font(
    spec: tuple[str, int] | None, size: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if spec is not None:
        try:
            return ImageFont.truetype(spec[0], size, index=spec[1])
        except OSError:
            pass
    return ImageFont.load_default(size)  # bitmap font if Pillow lacks FreeType


def _caption_runs(caption: str) -> tuple[list[tuple[tuple[str, int] | None, str]], list[str]]:
    return font_runs(caption, caption_font())


def _unencodable(text: str, symbology: str, why: str) -> InvalidInput:
    details = {"symbology": symbology, "length": len(text)}
    return InvalidInput(f"cannot encode as {symbology}: {why}", code="unencodable", details=details)


def qr_matrix(text: str, ecc: Ecc = "M", *, fast: bool = False) -> Modules:
    """QR modules. ``fast`` uses zxing-cpp (~20x quicker than segno's mask search)."""
    if not text:
        raise _unencodable(text, "qr", "empty text")
    if fast:
        return _zx_matrix(text, "qr", zxingcpp.BarcodeFormat.QRCode, ec_level=ecc)
    try:
        qr = segno.make(text, error=ecc.lower(), micro=False, boost_error=False)
    except ValueError as exc:  # segno.DataOverflowError is a ValueError
        raise _unencodable(text, "qr", str(exc)) from exc
    return np.array(qr.matrix, dtype=np.bool_)


def qr_version(text: str, ecc: Ecc = "M") -> int:
    """Symbol version (1..40) segno picks for ``text`` at exactly this ECC level."""
    try:  # a fixed mask skips the slow mask search; the version does not depend on it
        qr = segno.make(text, error=ecc.lower(), micro=False, boost_error=False, mask=0)
    except ValueError as exc:
        raise _unencodable(text, "qr", str(exc)) from exc
    return int(qr.version)


def module_matrix(text: str, symbology: Symbology = "qr", ecc: Ecc = "M") -> Modules:
    if symbology == "qr":
        return qr_matrix(text, ecc)
    if not text:
        raise _unencodable(text, symbology, "empty text")
    if symbology == "code128" and not all(32 <= ord(c) < 127 for c in text):
        raise _unencodable(text, symbology, "only printable ASCII is portable in Code 128")
    # DataMatrix: square only, DMRE rectangles are not read by every scanner
    kw: dict[str, object] = {"force_square": True} if symbology == "datamatrix" else {}
    return _zx_matrix(text, symbology, _ZX_FORMATS[symbology], **kw)


def _zx_matrix(text: str, symbology: str, fmt: zxingcpp.BarcodeFormat, **kw: object) -> Modules:
    try:
        bc = zxingcpp.create_barcode(text, fmt, **kw)
    except (ValueError, RuntimeError) as exc:
        raise _unencodable(text, symbology, str(exc)) from exc
    return np.asarray(bc.to_image(scale=1, add_quiet_zones=False)) < 128


def module_rects(modules: Modules) -> list[tuple[int, int, int, int]]:
    """Dark areas as (x, y, w, h) rectangles in modules: row runs merged downwards."""
    h, w = modules.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = modules
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    open_runs: dict[tuple[int, int], list[int]] = {}  # (x0, x1) -> [y0, height]
    out: list[tuple[int, int, int, int]] = []
    for y, x0, x1 in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True):
        run = open_runs.get((x0, x1))
        if run is not None and run[0] + run[1] == y:
            run[1] += 1
            continue
        if run is not None:
            out.append((x0, run[0], x1 - x0, run[1]))
        open_runs[(x0, x1)] = [y, 1]
    out.extend((x0, y0, x1 - x0, hh) for (x0, x1), (y0, hh) in open_runs.items())
    return out


@dataclass(frozen=True, slots=True)
class _Layout:
    modules: Modules
    scale: int
    x0: int  # px offset of the first module
    y0: int
    width: int  # canvas px
    height: int
    caption: str | None
    font_px: int
    caption_y: int  # px of the caption's vertical centre


def _layout(text: str, opts: RenderOptions) -> _Layout:
    m = module_matrix(text, opts.symbology, opts.ecc)
    qx = max(opts.border, CODE128_MIN_QUIET) if opts.symbology == "code128" else opts.border
    code_w = (m.shape[1] + 2 * qx) * opts.scale
    code_h = (m.shape[0] + 2 * opts.border) * opts.scale
    width, pad_x = code_w, qx * opts.scale
    if code_w * code_h > MAX_PIXELS:
        raise TooLarge("image would be too large; lower the scale", code="too_large")
    if not opts.caption:
        return _Layout(m, opts.scale, pad_x, opts.border * opts.scale, width, code_h, None, 0, 0)
    font_px = max(12, round(opts.scale * 2.25))
    max_w = max(code_w - 2 * opts.scale, 1)
    while font_px > 10 and _text_width(opts.caption, font_px) > max_w:
        font_px -= 1
    text_w = _text_width(opts.caption, font_px)
    if text_w > max_w:  # still too wide at the minimum size: widen the canvas
        width = text_w + 2 * max(opts.scale, 4)
        pad_x += (width - code_w) // 2
    gap = max(opts.scale, 4) if opts.border == 0 else 0
    caption_h = round(font_px * 1.6)
    y0, caption_y = opts.border * opts.scale, code_h + gap + caption_h // 2
    height = code_h + gap + caption_h
    return _Layout(m, opts.scale, pad_x, y0, width, height, opts.caption, font_px, caption_y)


def _text_width(text: str, font_px: int) -> int:
    runs, _ = _caption_runs(text)
    return round(sum(_pil_font(spec, font_px).getlength(run) for spec, run in runs))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def render_png(text: str, opts: RenderOptions | None = None) -> bytes:
    opts = opts or RenderOptions()
    lay = _layout(text, opts)
    grid = np.zeros((lay.height, lay.width), dtype=np.uint8)
    code = np.kron(lay.modules.astype(np.uint8), np.ones((lay.scale, lay.scale), np.uint8))
    grid[lay.y0 : lay.y0 + code.shape[0], lay.x0 : lay.x0 + code.shape[1]] = code
    transparent = opts.light == "transparent"
    light = (255, 255, 255) if transparent else _rgb(opts.light)
    img = Image.fromarray(grid, mode="P")
    img.putpalette([*light, *_rgb(opts.dark)])
    if lay.caption:
        img = img.convert("RGBA" if transparent else "RGB")
        if transparent:  # palette index 0 was light: make it see-through
            alpha = np.where(grid == 0, 0, 255).astype(np.uint8)
            img.putalpha(Image.fromarray(alpha, mode="L"))
        _draw_caption(img, lay, (*_rgb(opts.dark), 255))
    elif transparent:
        img.info["transparency"] = 0
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _draw_caption(img: Image.Image, lay: _Layout, ink: tuple[int, int, int, int]) -> None:
    """Centred, run by run: each run in the font that has its glyphs (codes/fonts.py)."""
    assert lay.caption is not None
    runs, dropped = _caption_runs(lay.caption)
    warn_missing(dropped)
    fonts = [(_pil_font(spec, lay.font_px), run) for spec, run in runs]
    x = lay.width / 2 - sum(font.getlength(run) for font, run in fonts) / 2
    draw = ImageDraw.Draw(img)
    for font, run in fonts:
        draw.text((x, lay.caption_y), run, ink, font, "lm")
        x += font.getlength(run)


def render_svg(text: str, opts: RenderOptions | None = None) -> bytes:
    opts = opts or RenderOptions()
    lay = _layout(text, opts)
    s = lay.scale
    path = "".join(
        f"M{lay.x0 + x * s} {lay.y0 + y * s}h{w * s}v{h * s}h{-w * s}z"
        for x, y, w, h in module_rects(lay.modules)
    )
    cw, ch = lay.width, lay.height
    parts = [f'<svg xmlns="{_SVG_NS}" width="{cw}" height="{ch}" viewBox="0 0 {cw} {ch}">']
    if opts.light != "transparent":
        parts.append(f'<rect width="{cw}" height="{ch}" fill="{opts.light}"/>')
    parts.append(f'<path fill="{opts.dark}" shape-rendering="crispEdges" d="{path}"/>')
    if lay.caption:
        parts.append(
            f'<text x="{cw / 2:g}" y="{lay.caption_y}" font-size="{lay.font_px}" '
            'font-family="Noto Sans CJK SC, Noto Sans, DejaVu Sans, Noto Emoji, Symbola, '
            'sans-serif" '
            f'text-anchor="middle" dominant-baseline="central" fill="{opts.dark}">'
            f"{escape(lay.caption)}</text>"
        )
    parts.append("</svg>\n")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(parts)).encode("utf-8")


def pdf_caption_font(pdf: FPDF, text: str, family: str = "caption") -> tuple[str, str]:
    """Select fonts able to show ``text``; return (family, text as it can be shown).

    Emoji and symbols the caption font lacks come from fallback fonts (codes/fonts.py);
    what no font has is left out with a ``MissingGlyphsWarning`` naming it.
    """
    return select_pdf_font(pdf, text, caption_font(), family)


def render_pdf(text: str, opts: RenderOptions | None = None) -> bytes:
    opts = opts or RenderOptions()
    lay = _layout(text, opts)
    k = PT_PER_PX
    pdf = FPDF(unit="pt", format=(lay.width * k, lay.height * k))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    if opts.light != "transparent":
        pdf.set_fill_color(*_rgb(opts.light))
        pdf.rect(0, 0, lay.width * k, lay.height * k, style="F")
    pdf.set_fill_color(*_rgb(opts.dark))
    u = lay.scale * k
    for x, y, w, h in module_rects(lay.modules):
        pdf.rect(lay.x0 * k + x * u, lay.y0 * k + y * u, w * u, h * u, style="F")
    if lay.caption:
        family, shown = pdf_caption_font(pdf, lay.caption)
        if shown:
            pdf.set_font(family, size=lay.font_px * k)
            pdf.set_text_color(*_rgb(opts.dark))
            cell_h = lay.font_px * k * 1.4
            pdf.set_xy(0, lay.caption_y * k - cell_h / 2)
            pdf.cell(lay.width * k, cell_h, shown, align="C")
    return bytes(pdf.output())

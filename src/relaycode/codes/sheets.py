"""Printable PDF sheets of many QR codes, with captions and a light cutting grid.

Codes are drawn as vector rectangles (crisp at any printer resolution). The QR matrices
come from zxing-cpp (``qr_matrix(fast=True)``): segno's pure-Python mask search alone
would take ~3.7 s for 1000 codes; this way a 1000-code sheet takes ~2 s in all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import RenderStyle

from relaycode.codes.render import Ecc, module_rects, pdf_caption_font, qr_matrix
from relaycode.errors import InvalidInput

PAGE_SIZES_MM: dict[str, tuple[float, float]] = {
    "A3": (297.0, 420.0),
    "A4": (210.0, 297.0),
    "A5": (148.0, 210.0),
    "LETTER": (215.9, 279.4),
}
MARGIN_MM = 10.0
PAD_MM = 3.0  # inside each cell, around the code (which also has its 4-module quiet zone)
QUIET_MODULES = 4
PT_MM = 25.4 / 72
GRID_GREY = 200
FILL = RenderStyle.F  # the enum itself: coercing "F" 230k times costs ~0.5 s


@dataclass(frozen=True, slots=True)
class SheetItem:
    text: str  # what the code encodes
    caption: str | None = None  # first line, e.g. the offer title
    detail: str | None = None  # second, smaller line, e.g. the short code id


@dataclass(frozen=True, slots=True)
class SheetLayout:
    page_w: float  # mm
    page_h: float
    columns: int
    rows: int
    cell_w: float
    cell_h: float
    code_size: float  # side of the code including its quiet zone
    title_pt: float
    detail_pt: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, slot: int) -> tuple[float, float]:
        """Top-left corner (mm) of the cell for the ``slot``-th code on a page."""
        row, col = divmod(slot, self.columns)
        return MARGIN_MM + col * self.cell_w, MARGIN_MM + row * self.cell_h


def sheet_layout(columns: int = 4, page: str = "A4", caption: bool = True) -> SheetLayout:
    if page.upper() not in PAGE_SIZES_MM:
        raise InvalidInput(f"unknown page size {page!r}", code="bad_page")
    if not 1 <= columns <= 12:
        raise InvalidInput("columns must be between 1 and 12", code="bad_columns")
    page_w, page_h = PAGE_SIZES_MM[page.upper()]
    cell_w = (page_w - 2 * MARGIN_MM) / columns
    code_size = cell_w - 2 * PAD_MM
    title_pt = min(9.0, max(4.5, cell_w * 0.19)) if caption else 0.0
    detail_pt = title_pt * 0.85
    caption_h = (title_pt + detail_pt) * PT_MM * 1.3 + PAD_MM if caption else 0.0
    cell_h = PAD_MM + code_size + caption_h + (0.0 if caption else PAD_MM)
    rows = int((page_h - 2 * MARGIN_MM) // cell_h)
    if rows < 1:  # pragma: no cover - cannot happen with the sizes above
        raise InvalidInput("codes do not fit on the page", code="bad_columns")
    return SheetLayout(
        page_w, page_h, columns, rows, cell_w, cell_h, code_size, title_pt, detail_pt
    )


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis so that it fits ``width`` in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that still fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if pdf.get_string_width(text[:mid] + "...") <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "..."


def render_sheet_pdf(
    items: Sequence[SheetItem],
    *,
    columns: int = 4,
    page: str = "A4",
    caption: bool = True,
    ecc: Ecc = "M",
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """A PDF of QR codes in a grid, as many pages as needed; ``progress(n_done)`` per code."""
    if not items:
        raise InvalidInput("nothing to print", code="empty")
    lay = sheet_layout(columns, page, caption)
    pdf = FPDF(unit="mm", format=(lay.page_w, lay.page_h))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title("relaycode codes")
    pdf.set_creator("relaycode")
    pdf.set_line_width(0.1)
    pdf.set_draw_color(GRID_GREY)
    pdf.set_fill_color(0)
    pdf.set_text_color(0)
    text_w = lay.cell_w - 2 * PAD_MM
    for n, item in enumerate(items):
        slot = n % lay.per_page
        if slot == 0:
            pdf.add_page()
        x, y = lay.origin(slot)
        pdf.rect(x, y, lay.cell_w, lay.cell_h)  # light grid: neighbouring cells share edges
        try:
            modules = qr_matrix(item.text, ecc, fast=True)
        except InvalidInput as exc:
            exc.details["index"] = n
            raise
        unit = lay.code_size / (modules.shape[1] + 2 * QUIET_MODULES)
        cx = x + PAD_MM + QUIET_MODULES * unit
        cy = y + PAD_MM + QUIET_MODULES * unit
        for mx, my, mw, mh in module_rects(modules):
            pdf.rect(cx + mx * unit, cy + my * unit, mw * unit, mh * unit, style=FILL)
        if caption:
            ty = y + PAD_MM + lay.code_size
            for line, size in ((item.caption, lay.title_pt), (item.detail, lay.detail_pt)):
                h = size * PT_MM * 1.3
                if line:
                    family, shown = pdf_caption_font(pdf, line)
                    pdf.set_font(family, size=size)
                    pdf.set_xy(x + PAD_MM, ty)
                    pdf.cell(text_w, h, _fit(pdf, shown, text_w), align="C")
                ty += h
        if progress is not None:
            progress(n + 1)
    return bytes(pdf.output())

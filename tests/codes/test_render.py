"""Rendering single codes (PNG/SVG/PDF) and PDF sheets: validity, round trips, options."""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from pydantic import ValidationError

from relaycode.codes import render
from relaycode.codes.render import (
    RenderOptions,
    Symbology,
    module_matrix,
    module_rects,
    qr_matrix,
    qr_version,
    render_pdf,
    render_png,
    render_svg,
)
from relaycode.codes.sheets import SheetItem, render_sheet_pdf, sheet_layout
from relaycode.codes.tokens import code_url, encode_token
from relaycode.errors import InvalidInput, TooLarge

HOST24 = "RC-PROD.EXAMPLE.COM:8443"
assert len(HOST24) == 24


def offer_code(n: int = 0, host: str = HOST24) -> str:
    return code_url("https", host, encode_token(1, b"k" * 32, n.to_bytes(16, "big")))


URL = offer_code()
FORMATS: dict[str, zxingcpp.BarcodeFormat] = {
    "qr": zxingcpp.BarcodeFormat.QRCode,
    "microqr": zxingcpp.BarcodeFormat.MicroQRCode,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "pdf417": zxingcpp.BarcodeFormat.PDF417,
    "aztec": zxingcpp.BarcodeFormat.Aztec,
}


def png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def decode(img: Image.Image) -> list[zxingcpp.Barcode]:
    return list(zxingcpp.read_barcodes(img.convert("L")))


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def rasterise_pdf(data: bytes, tmp_path: Path, dpi: int = 200) -> Image.Image:
    src, out = tmp_path / "in.pdf", tmp_path / "page.png"
    src.write_bytes(data)
    if shutil.which("pdftoppm"):
        cmd = ["pdftoppm", "-png", "-gray", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run([*cmd, str(src), str(out.with_suffix(""))], check=True)
    elif shutil.which("gs"):
        cmd = ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pnggray", f"-r{dpi}"]
        subprocess.run([*cmd, "-dFirstPage=1", "-dLastPage=1", f"-o{out}", str(src)], check=True)
    else:
        pytest.skip("neither pdftoppm nor gs is installed")
    return png(out.read_bytes())


@pytest.fixture
def no_fonts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("RELAYCODE_CAPTION_FONT", raising=False)
    monkeypatch.setattr(render, "_FONT_CANDIDATES", (("/nonexistent/font.ttf", 0),))
    render.caption_font.cache_clear()
    render._pil_font.cache_clear()
    yield
    render.caption_font.cache_clear()
    render._pil_font.cache_clear()


# --- formats -------------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "border"), [(1, 0), (3, 2), (8, 4), (10, 20)])
def test_png_size_follows_scale_and_border(scale: int, border: int) -> None:
    n = qr_matrix(URL).shape[0]
    img = png(render_png(URL, RenderOptions(scale=scale, border=border)))
    assert img.format == "PNG"
    assert img.size == ((n + 2 * border) * scale,) * 2


def test_svg_is_xml_with_pixel_size() -> None:
    n = qr_matrix(URL).shape[0]
    root = ET.fromstring(render_svg(URL, RenderOptions(scale=5, border=3)))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == root.get("height") == str((n + 6) * 5)


def test_pdf_is_a_one_page_pdf_sized_to_the_code(tmp_path: Path) -> None:
    data = render_pdf(URL, RenderOptions(scale=4, border=4))
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert pdf_pages(data) == 1
    side = (qr_matrix(URL).shape[0] + 8) * 4 * 0.75
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", data)
    assert box and math.isclose(float(box[1]), side, abs_tol=0.01)
    found = decode(rasterise_pdf(data, tmp_path))
    assert [b.text for b in found] == [URL]


@pytest.mark.parametrize("symbology", list(FORMATS))
def test_png_round_trip(symbology: Symbology) -> None:
    text = "RC-1234-ABCD" if symbology == "microqr" else URL  # Micro QR holds <= 35 chars
    found = decode(png(render_png(text, RenderOptions(symbology=symbology, scale=3))))
    assert [(b.format, b.text) for b in found] == [(FORMATS[symbology], text)]


@pytest.mark.parametrize("ecc", ["L", "M", "Q", "H"])
def test_qr_ecc_is_exactly_what_was_asked(ecc: render.Ecc) -> None:
    (found,) = decode(png(render_png(URL, RenderOptions(ecc=ecc, scale=3))))
    assert found.ec_level == ecc  # segno's boost_error is off


def test_offer_code_fits_version_4_at_m() -> None:
    assert qr_version(URL, "M") <= 4
    assert qr_matrix(URL, "M").shape[0] == 17 + 4 * qr_version(URL, "M")


def test_fast_qr_matches_segno_version() -> None:
    for n in range(5):
        for ecc in ("L", "M", "Q", "H"):
            text = offer_code(n)
            assert qr_matrix(text, ecc, fast=True).shape == qr_matrix(text, ecc).shape


def test_module_rects_cover_exactly_the_dark_modules() -> None:
    for symbology in ("qr", "pdf417"):
        m = module_matrix(URL, symbology)
        back = np.zeros_like(m, dtype=np.int32)
        for x, y, w, h in module_rects(m):
            back[y : y + h, x : x + w] += 1
        assert np.array_equal(back, m.astype(np.int32))  # covered once, nothing else


def test_code128_keeps_a_ten_module_quiet_zone() -> None:
    m = module_matrix(URL, "code128")
    img = png(render_png(URL, RenderOptions(symbology="code128", scale=1, border=2)))
    assert img.size == (m.shape[1] + 20, m.shape[0] + 4)


# --- colours and captions ------------------------------------------------------------


def test_colours_are_honoured() -> None:
    opts = RenderOptions(dark="#1a237e", light="#FFEB3B", scale=4, border=4)
    img = png(render_png(URL, opts)).convert("RGB")
    assert img.getpixel((0, 0)) == (0xFF, 0xEB, 0x3B)
    assert img.getpixel((16, 16)) == (0x1A, 0x23, 0x7E)  # finder pattern corner
    assert decode(img)[0].text == URL
    svg = render_svg(URL, opts).decode()
    assert 'fill="#FFEB3B"' in svg and 'fill="#1a237e"' in svg


def test_transparent_background() -> None:
    alpha = np.asarray(
        png(render_png(URL, RenderOptions(light="transparent", scale=2))).convert("RGBA")
    )[..., 3]
    assert alpha[0, 0] == 0 and alpha[8, 8] == 255  # quiet zone clear, finder pattern opaque
    opts = RenderOptions(light="transparent", caption="Tea")
    alpha = np.asarray(png(render_png(URL, opts)).convert("RGBA"))[..., 3]
    assert alpha[0, 0] == 0 and alpha[-1, 0] == 0
    assert "<rect" not in render_svg(URL, RenderOptions(light="transparent")).decode()


@pytest.mark.parametrize(
    "bad",
    [
        {"dark": "red"},
        {"dark": "#12345"},
        {"dark": "#GGGGGG"},
        {"dark": "transparent"},
        {"light": "#FFF"},
        {"dark": "#ABCDEF", "light": "#abcdef"},
        {"caption": "x" * 81},
        {"caption": "two\nlines"},
        {"scale": 0},
        {"scale": 51},
        {"border": 21},
        {"ecc": "X"},
        {"symbology": "ean13"},
    ],
)
def test_invalid_options_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RenderOptions.model_validate(bad)


def test_chinese_caption_renders(tmp_path: Path) -> None:
    caption = "优惠券：咖啡买一送一 <Tea & Co>"
    plain = png(render_png(URL, RenderOptions(scale=4)))
    img = png(render_png(URL, RenderOptions(scale=4, caption=caption)))
    assert img.height > plain.height and img.width >= plain.width
    strip = np.asarray(img.convert("L"))[plain.height :, :]
    assert (strip < 128).any()  # the text was drawn
    assert decode(img)[0].text == URL
    root = ET.fromstring(render_svg(URL, RenderOptions(caption=caption)))
    texts = [el.text for el in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == [caption]
    data = render_pdf(URL, RenderOptions(caption=caption))
    assert data.startswith(b"%PDF-")
    assert decode(rasterise_pdf(data, tmp_path))[0].text == URL


def test_long_caption_widens_small_codes() -> None:
    img = png(render_png("HI", RenderOptions(scale=1, caption="W" * 80)))
    assert img.width > 21 + 8


@pytest.mark.usefixtures("no_fonts")
def test_caption_without_any_font_file() -> None:
    assert render.caption_font() is None
    assert png(render_png(URL, RenderOptions(caption="优惠券 tea"))).height > 0
    assert render_pdf(URL, RenderOptions(caption="优惠券 tea")).startswith(b"%PDF-")
    assert render_pdf(URL, RenderOptions(caption="优惠券")).startswith(b"%PDF-")  # all stripped


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbology", "text"),
    [
        ("qr", ""),
        ("qr", "A" * 5000),
        ("microqr", URL),
        ("code128", "优惠券"),
        ("code128", "café"),
        ("datamatrix", "x" * 4000),
        ("aztec", "x" * 4000),
        ("pdf417", "x" * 3000),
    ],
)
def test_unencodable_text(symbology: Symbology, text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        render_png(text, RenderOptions(symbology=symbology))
    assert err.value.code == "unencodable" and err.value.status == 422


def test_huge_images_refused() -> None:
    with pytest.raises(TooLarge):
        render_png(URL, RenderOptions(symbology="code128", scale=50))


# --- sheets --------------------------------------------------------------------------


def test_sheet_pages_progress_and_decoding(tmp_path: Path) -> None:
    items = [
        SheetItem(offer_code(i), caption=f"绿茶 Green tea 250 g #{i}", detail=f"C{i:04d}")
        for i in range(25)
    ]
    done: list[int] = []
    data = render_sheet_pdf(items, columns=4, page="A4", progress=done.append)
    assert data.startswith(b"%PDF-")
    per_page = sheet_layout(4, "A4").per_page
    assert 1 < per_page < 25
    assert pdf_pages(data) == math.ceil(25 / per_page)
    assert done == list(range(1, 26))
    texts = {b.text for b in decode(rasterise_pdf(data, tmp_path, dpi=200))}
    assert items[0].text in texts
    assert texts <= {i.text for i in items[:per_page]}


def test_sheet_options() -> None:
    items = [SheetItem(offer_code(i)) for i in range(7)]
    data = render_sheet_pdf(items, columns=2, page="letter", caption=False)
    assert pdf_pages(data) == math.ceil(7 / sheet_layout(2, "LETTER", caption=False).per_page)
    with pytest.raises(InvalidInput):
        render_sheet_pdf([])
    with pytest.raises(InvalidInput):
        render_sheet_pdf(items, page="B7")
    with pytest.raises(InvalidInput) as err:
        render_sheet_pdf([*items, SheetItem("A" * 5000)])
    assert err.value.code == "unencodable" and err.value.details["index"] == 7

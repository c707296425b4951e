"""Image decoding: round trips per symbology, the cascade, and every way an upload can be bad."""

from __future__ import annotations

import importlib.util
import io
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np
import pytest
import segno
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from relaycode.codes.decode import DecodedBarcode, decode_array, decode_image_bytes
from relaycode.codes.decode_search import decode_gray
from relaycode.codes.decode_symbols import same_symbol
from relaycode.errors import AppError, InvalidInput, TooLarge

LIMITS: dict[str, Any] = {"max_bytes": 5_000_000, "max_pixels": 20_000_000}
URL = "HTTP://127.0.0.1:8000/C/AEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAE"
BENCH = Path(__file__).resolve().parents[2] / "bench" / "decode.py"


def qr_array(text: str, module: int = 6, border: int = 4) -> np.ndarray:
    qr = segno.make(text, error="m")
    bits = np.array([list(r) for r in qr.matrix_iter(scale=1, border=border)], dtype=bool)
    return np.kron(np.where(bits, 0, 255).astype(np.uint8), np.ones((module, module), np.uint8))


def zx_array(text: str, fmt: zxingcpp.BarcodeFormat, scale: int = 4) -> np.ndarray:
    return np.asarray(zxingcpp.create_barcode(text, fmt).to_image(scale=scale))


def encode(array: np.ndarray, fmt: str = "PNG", **kwargs: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def texts(found: list[DecodedBarcode]) -> set[str]:
    return {b.text for b in found}


# ------------------------------------------------------------------ round trips


def test_qr_png_round_trip_with_corners() -> None:
    found = decode_image_bytes(encode(qr_array(URL, module=5)), **LIMITS)
    assert len(found) == 1
    code = found[0]
    assert (code.text, code.symbology, code.engine) == (URL, "qr", "zxing")
    assert len(code.position) == 4
    assert all(isinstance(x, int) and isinstance(y, int) for x, y in code.position)
    (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = code.position
    assert abs(tlx - 20) <= 3 and abs(tly - 20) <= 3  # 4-module quiet zone x 5 px
    assert trx > tlx and abs(try_ - tly) <= 3
    assert brx > blx and bry > tly and bly > tly


@pytest.mark.parametrize(
    ("fmt", "name", "text"),
    [
        (zxingcpp.BarcodeFormat.Code128, "code128", "RELAY-12345"),
        (zxingcpp.BarcodeFormat.DataMatrix, "datamatrix", "relaycode datamatrix 42"),
        (zxingcpp.BarcodeFormat.PDF417, "pdf417", "relaycode pdf417 payload"),
        (zxingcpp.BarcodeFormat.Aztec, "aztec", "relaycode aztec"),
        (zxingcpp.BarcodeFormat.EAN13, "ean13", "9780441014989"),
        (zxingcpp.BarcodeFormat.EAN8, "ean8", "48512343"),
    ],
)
def test_zxing_symbologies_round_trip(fmt: zxingcpp.BarcodeFormat, name: str, text: str) -> None:
    image = np.pad(zx_array(text, fmt), 30, constant_values=255)
    found = decode_image_bytes(encode(image), **LIMITS)
    assert [(b.text, b.symbology) for b in found] == [(text, name)]


def test_micro_qr_round_trip() -> None:
    micro = segno.make("RC42", micro=True)
    buf = io.BytesIO()
    micro.save(buf, kind="png", scale=6, border=4)
    found = decode_image_bytes(buf.getvalue(), **LIMITS)
    assert [(b.text, b.symbology) for b in found] == [("RC42", "microqr")]


def test_several_codes_in_one_image() -> None:
    canvas = np.full((500, 900), 255, np.uint8)
    qr = qr_array(URL, module=4)
    dm = zx_array("datamatrix-in-a-crowd", zxingcpp.BarcodeFormat.DataMatrix, scale=6)
    bar = zx_array("CROWD-128", zxingcpp.BarcodeFormat.Code128, scale=3)
    canvas[10 : 10 + qr.shape[0], 10 : 10 + qr.shape[1]] = qr
    canvas[20 : 20 + dm.shape[0], 400 : 400 + dm.shape[1]] = dm
    canvas[320 : 320 + bar.shape[0], 400 : 400 + bar.shape[1]] = bar
    found = decode_image_bytes(encode(canvas), **LIMITS)
    assert texts(found) == {URL, "datamatrix-in-a-crowd", "CROWD-128"}
    assert len(found) == 3  # deduplicated


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "GIF"])
def test_other_containers(fmt: str) -> None:
    data = encode(qr_array(URL), fmt, **({"quality": 90} if fmt != "GIF" else {}))
    assert texts(decode_image_bytes(data, **LIMITS)) == {URL}


def test_transparent_background_is_white() -> None:
    qr = qr_array(URL)
    rgba = np.zeros((*qr.shape, 4), np.uint8)
    rgba[..., 3] = np.where(qr == 0, 255, 0)  # black modules, transparent elsewhere
    data = encode(rgba)
    assert texts(decode_image_bytes(data, **LIMITS)) == {URL}


def test_decode_array_takes_bgr() -> None:
    bgr = np.asarray(cv2.cvtColor(qr_array(URL), cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    assert texts(decode_array(bgr)) == {URL}
    with pytest.raises(ValueError):
        decode_array(np.zeros((2, 2, 2, 2), np.uint8))


# ------------------------------------------------------------------ the cascade


def _noisy_qr(text: str = URL) -> np.ndarray:
    clean = qr_array(text).astype(np.float64)
    noise = np.random.default_rng(7).normal(0.0, 80.0, clean.shape)
    return np.clip(clean + noise, 0, 255).astype(np.uint8)


def _dim_qr() -> np.ndarray:
    qr = qr_array(URL)
    light = np.where(qr < 128, 128.0, 140.0) + np.linspace(-40, 40, qr.shape[1])[None, :]
    return np.clip(light, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("make", [_noisy_qr, _dim_qr], ids=["noise", "low-contrast"])
def test_cascade_finds_what_plain_zxing_misses(make: Callable[[], np.ndarray]) -> None:
    image = np.ascontiguousarray(make())
    # The premise, asserted rather than skipped: plain zxing-cpp cannot read this image.
    assert zxingcpp.read_barcodes(image) == []
    found = decode_image_bytes(encode(image), **LIMITS)
    assert texts(found) == {URL}
    assert found[0].engine != "zxing"


def _sheet(
    cells: list[np.ndarray], cols: int, cell: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Symbols on a white page, one per cell of a grid; returns the page and each top-left."""
    rows = (len(cells) + cols - 1) // cols
    page = np.full((rows * cell + 20, cols * cell + 20), 255, np.uint8)
    corners = []
    for i, sym in enumerate(cells):
        top, left = 10 + (i // cols) * cell, 10 + (i % cols) * cell
        page[top : top + sym.shape[0], left : left + sym.shape[1]] = sym
        corners.append((left, top))
    return page, corners


def test_every_symbol_is_reported_with_its_position() -> None:
    """A sheet of 24 codes of 5 texts reports 24 symbols, each where it is printed."""
    words = [f"{URL[:-2]}{i:02d}" for i in range(5)]
    order = [i % 5 for i in range(24)]
    page, corners = _sheet([qr_array(words[i], module=3) for i in order], cols=6, cell=170)
    found = decode_array(page)
    assert len(found) == 24
    assert sorted(b.text for b in found) == sorted(words[i] for i in order)
    for (left, top), i in zip(corners, order, strict=True):
        # The quiet zone is 4 modules of 3 px: the symbol starts 12 px into its cell.
        match = [
            b
            for b in found
            if abs(b.position[0][0] - left - 12) <= 3 and abs(b.position[0][1] - top - 12) <= 3
        ]
        assert [b.text for b in match] == [words[i]]


def test_cascade_searches_what_is_left_after_a_find() -> None:
    """A code plain zxing reads beside one it cannot: the cascade still retries the rest."""
    easy, hard = qr_array("FIRST easy", module=3), _noisy_qr("SECOND CODE noisy")
    page, _ = _sheet([easy, hard], cols=2, cell=max(hard.shape) + 20)
    assert [b.text for b in zxingcpp.read_barcodes(page)] == ["FIRST easy"]  # the premise
    found = decode_array(page)
    assert sorted(b.text for b in found) == ["FIRST easy", "SECOND CODE noisy"]
    assert [b.engine for b in found if b.text != "FIRST easy"] != ["zxing"]


def test_time_budget_stops_the_cascade() -> None:
    image = np.ascontiguousarray(_noisy_qr())
    assert decode_gray(image, seconds=0.0) == []  # only the first pass ran
    assert texts(decode_gray(image, seconds=None)) == {URL}


def test_one_symbol_read_twice_is_reported_once() -> None:
    a = DecodedBarcode("X1", "qr", [(10, 10), (60, 10), (60, 60), (10, 60)], "zxing")
    shifted = DecodedBarcode("X1", "qr", [(14, 12), (63, 12), (63, 62), (14, 62)], "zxing-smooth")
    beside = DecodedBarcode("X1", "qr", [(80, 10), (130, 10), (130, 60), (80, 60)], "zxing")
    other = DecodedBarcode("X2", "qr", [(14, 12), (63, 12), (63, 62), (14, 62)], "zxing")
    assert same_symbol(a, shifted)
    assert not same_symbol(a, beside) and not same_symbol(a, other)


def test_a_tall_1d_code_read_on_two_scan_lines_is_one_symbol() -> None:
    """zxing-cpp reports a 1-D code as thin strips; two strips of the same bars are one
    symbol, while the same label printed twice, one above the other, is two."""
    bars = zx_array("TALL-128", zxingcpp.BarcodeFormat.Code128, scale=2)[:1]
    page = np.full((520, bars.shape[1] + 40), 255, np.uint8)
    page[20:240, 20:-20] = bars  # one label, 220 px tall bars
    page[280:500, 20:-20] = bars  # the same label again, below, with paper between
    right = 20 + bars.shape[1]

    def strip(y: int) -> DecodedBarcode:
        return DecodedBarcode(
            "TALL-128", "code128", [(20, y), (right, y), (right, y + 2), (20, y + 2)], "zxing"
        )

    assert same_symbol(strip(30), strip(220), page)  # the same bars from top to bottom
    assert not same_symbol(strip(220), strip(300), page)  # paper between the two labels
    assert not same_symbol(strip(30), strip(480), page)


def test_light_on_dark_code() -> None:
    found = decode_array(np.ascontiguousarray(255 - qr_array(URL)))
    assert texts(found) == {URL}


@pytest.mark.parametrize("value", [0, 255])
def test_blank_image_has_no_code(value: int) -> None:
    assert decode_image_bytes(encode(np.full((300, 400), value, np.uint8)), **LIMITS) == []


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (1, 5000), (5000, 1), (2, 3000), (1700, 1)])
def test_degenerate_shapes(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    assert decode_array(np.full(shape, 255, np.uint8)) == []
    assert isinstance(decode_array(rng.integers(0, 256, shape, dtype=np.uint8)), list)


def test_noise_image_has_no_code() -> None:
    noise = np.random.default_rng(3).integers(0, 256, (240, 320), dtype=np.uint8)
    assert decode_image_bytes(encode(noise), **LIMITS) == []


# ------------------------------------------------------------------ bad uploads


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"definitely not an image",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        encode(qr_array(URL))[:200],  # truncated PNG
        encode(qr_array(URL), "JPEG")[:300],  # truncated JPEG
        encode(qr_array(URL), "BMP"),  # a real image, not an accepted format
        b"GIF89a" + b"\xff" * 30,
    ],
    ids=["empty", "text", "png-magic", "png-cut", "jpeg-cut", "bmp", "gif-junk"],
)
def test_bad_bytes_are_bad_image(data: bytes) -> None:
    with pytest.raises(InvalidInput) as err:
        decode_image_bytes(data, **LIMITS)
    assert err.value.code == "bad_image"
    assert err.value.status == 422


def test_too_many_bytes() -> None:
    data = encode(qr_array(URL))
    with pytest.raises(TooLarge) as err:
        decode_image_bytes(data, max_bytes=len(data) - 1, max_pixels=LIMITS["max_pixels"])
    assert err.value.code == "image_too_large"
    assert err.value.status == 413


def _huge_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width x height white pixels: a few kB that inflate enormously."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _huge_png(20_000, 20_000)


def test_too_many_pixels_checked_before_decoding(bomb: bytes) -> None:
    assert len(bomb) < 200_000
    with pytest.raises(TooLarge) as err:
        decode_image_bytes(bomb, max_bytes=1_000_000, max_pixels=10_000_000)
    assert err.value.code == "image_too_many_pixels"


def test_pillow_bomb_guard_is_too_many_pixels(bomb: bytes) -> None:
    # Even with our own limit set absurdly high, Pillow's decompression-bomb check holds.
    with pytest.raises(TooLarge) as err:
        decode_image_bytes(bomb, max_bytes=1_000_000, max_pixels=10**12)
    assert err.value.code == "image_too_many_pixels"


def test_pixel_limit_counts_pixels() -> None:
    data = encode(np.full((100, 100), 255, np.uint8))
    assert decode_image_bytes(data, max_bytes=10**6, max_pixels=10_000) == []
    with pytest.raises(TooLarge):
        decode_image_bytes(data, max_bytes=10**6, max_pixels=9_999)


_PNG = encode(qr_array("fuzz", module=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    junk=st.binary(max_size=64),
    cut=st.integers(min_value=0, max_value=len(_PNG)),
    flips=st.lists(st.integers(min_value=0, max_value=len(_PNG) - 1), max_size=6),
)
def test_fuzzed_uploads_only_raise_app_errors(junk: bytes, cut: int, flips: list[int]) -> None:
    data = bytearray(_PNG[:cut] + junk)
    for i in flips:
        if i < len(data):
            data[i] ^= 0x5A
    try:
        found = decode_image_bytes(bytes(data), **LIMITS)
    except AppError as exc:
        assert exc.code in (
            "bad_image",
            "image_too_large",
            "image_too_many_pixels",
            "image_bad_shape",
        )
    else:
        assert isinstance(found, list)


# ------------------------------------------------------------------ the benchmark


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("relaycode_bench_decode", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_quick_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    assert sys.modules["decode_sets"].upce_to_ean13("01234565") == "0012345000065"
    assert bench.main(["--quick", "--dataset", str(tmp_path / "missing"), "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "synthetic (quick)" in out and "sheets (quick)" in out and "p90" in out


def test_bench_counts_symbols_not_images() -> None:
    _bench()
    sets = sys.modules["decode_sets"]
    sample = sets.Sample("sheets", "s", np.zeros((1, 1), np.uint8), ("A", "A", "A", "B"))
    verdict = sets.judge(sample, ["A", "B", "A", "C", "B"])
    assert (verdict.found, verdict.wrong, verdict.extra) == (3, 1, 1)
    # One result per text, as the old decoder gave, finds 2 of the 4 symbols.
    assert sets.judge(sample, ["A", "B"]).found == 2

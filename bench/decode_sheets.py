"""A seeded synthetic set for bench/decode.py: photographed sheets of many codes.

Each sheet holds 10-60 symbols of a few distinct texts (so most texts are repeated), at
mixed module sizes and contrasts, then the whole sheet is seen in perspective, slightly
blurred and noisy. A decoder is expected to report every symbol, repeats included.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import cv2
import numpy as np
import segno
import zxingcpp
from decode_sets import Sample, random_text

CELL = 240  # pixels per grid cell; a symbol's long side is at most CELL - 24
_F = zxingcpp.BarcodeFormat
# (cumulative probability, format or None for QR via segno, kind of text)
_KINDS = (
    (0.50, None, "url"),
    (0.65, _F.DataMatrix, "long"),
    (0.80, _F.Code128, "short"),
    (0.90, _F.Aztec, "long"),
    (0.95, _F.PDF417, "short"),
    (1.01, _F.EAN13, "digits12"),
)


def _modules(fmt: zxingcpp.BarcodeFormat | None, text: str) -> tuple[np.ndarray, str]:
    """The symbol at one pixel per module (black = 0), and the text a reader reports."""
    if fmt is None:
        qr = segno.make(text, error="m")
        bits = np.array([list(r) for r in qr.matrix_iter(scale=1, border=4)], dtype=bool)
        return np.where(bits, 0, 255).astype(np.uint8), text
    code = zxingcpp.create_barcode(text, fmt)
    img = np.asarray(code.to_image(scale=1))
    if fmt in (_F.Code128, _F.EAN13):  # printed bars are tall: a third of the length
        img = np.repeat(img[:1], max(img.shape[0], img.shape[1] // 3), axis=0)
        img = np.pad(img, ((6, 6), (0, 0)), constant_values=255)
    return img, code.text


def _scaled(mods: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Modules of 2-5 pixels, as large as fits the cell: sizes vary across the sheet."""
    fit = (CELL - 24) / max(mods.shape)
    module = min(float(rng.uniform(2.0, 5.0)), fit)
    size = (max(1, round(mods.shape[1] * module)), max(1, round(mods.shape[0] * module)))
    return np.asarray(cv2.resize(mods, size, interpolation=cv2.INTER_NEAREST))


def sheet(rng: np.random.Generator) -> tuple[np.ndarray, tuple[str, ...]]:
    count = int(rng.integers(10, 61))
    distinct = int(rng.integers(max(2, count // 5), max(3, count // 2) + 1))
    symbols: list[tuple[np.ndarray, str]] = []
    for _ in range(distinct):
        pick = float(rng.random())
        fmt, kind = next((f, k) for limit, f, k in _KINDS if pick < limit)
        symbols.append(_modules(fmt, random_text(rng, kind)))
    chosen = list(range(distinct)) + [int(i) for i in rng.integers(0, distinct, count - distinct)]
    rng.shuffle(chosen)
    cols = math.ceil(math.sqrt(count * 1.3))
    rows = math.ceil(count / cols)
    paper = int(rng.integers(200, 250))
    page = np.full((rows * CELL + 40, cols * CELL + 40), paper, np.float32)
    expected: list[str] = []
    for slot, index in enumerate(chosen):
        mods, text = symbols[index]
        img = _scaled(mods, rng)
        low = rng.random() < 0.3  # a faint print
        ink = paper - int(rng.integers(45, 90)) if low else int(rng.integers(0, 60))
        h, w = img.shape
        top = 20 + (slot // cols) * CELL + int(rng.integers(0, CELL - h + 1))
        left = 20 + (slot % cols) * CELL + int(rng.integers(0, CELL - w + 1))
        page[top : top + h, left : left + w] = np.where(img < 128, ink, paper)
        expected.append(text)
    return _photograph(rng, page), tuple(expected)


def _photograph(rng: np.random.Generator, page: np.ndarray) -> np.ndarray:
    """The sheet on a darker table, in perspective, a little out of focus and noisy."""
    h, w = page.shape
    border = 60
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    jitter = rng.uniform(-0.06, 0.06, (4, 2)) * np.array([w, h])
    dst = (src + jitter + border).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    size = (w + 2 * border, h + 2 * border)
    table = float(rng.integers(40, 120))
    img = cv2.warpPerspective(page, matrix, size, flags=cv2.INTER_AREA, borderValue=table)
    img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.4, 0.9)))
    noise = np.asarray(rng.normal(0.0, float(rng.uniform(2, 7)), img.shape), np.float32)
    img = img + noise
    return np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))


def sheet_samples(count: int, seed: int) -> Iterator[Sample]:
    for i in range(count):
        gray, expected = sheet(np.random.default_rng([seed, 1000, i]))
        yield Sample("sheets", f"sheet-{i}", gray, expected)

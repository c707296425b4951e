"""The symbols found: the area each covers, blanking it out, and telling repeats apart.

A sheet may carry the same code many times, and every copy is reported. What is not
reported twice is one physical symbol read by two passes: same text and symbology, and
either one's centre lies within the other, or (1-D codes, which zxing-cpp places on the
scan lines that read them) the same bars run from one read to the other.
"""

from __future__ import annotations

import cv2
import numpy as np

from relaycode.codes.decode_cascade import DecodedBarcode, Gray, Quad

_LINEAR = frozenset(
    [
        "code128",
        "code39",
        "code93",
        "codabar",
        "ean13",
        "ean8",
        "upca",
        "upce",
        "isbn",
        "itf",
        "databar",
        "databarexpanded",
        "databarlimited",
        "dxfilmedge",
    ]
)
_SAMPLES = 128  # points along a scan line when comparing bar patterns


def footprint(hit: DecodedBarcode) -> Quad:
    """The area a symbol covers. zxing-cpp places a 1-D code on the scan lines that read
    it, often a thin strip: widen the strip across the bars to 80 % of the code's length
    (bars are seldom taller), so that blanking it leaves no bars to read again."""
    quad = np.asarray(hit.position, np.float64)
    if hit.symbology not in _LINEAR:
        return quad
    along = (quad[1] + quad[2] - quad[0] - quad[3]) / 2
    across = (quad[3] + quad[2] - quad[0] - quad[1]) / 2
    length, height = float(np.linalg.norm(along)), float(np.linalg.norm(across))
    if length == 0 or height >= 0.8 * length:
        return quad
    normal = np.array([-along[1], along[0]]) / length
    if float(normal @ across) < 0:
        normal = -normal
    left, right = (quad[0] + quad[3]) / 2, (quad[1] + quad[2]) / 2  # ends, mid-height
    half = 0.4 * length * normal
    out: Quad = np.array([left - half, right - half, right + half, left + half])
    return out


def same_symbol(a: DecodedBarcode, b: DecodedBarcode, image: Gray | None = None) -> bool:
    """One physical symbol read twice (``image``: the picture both were read from)."""
    if a.text != b.text or a.symbology != b.symbology:
        return False
    # As reported: a 1-D code's strip is not widened here, its bars are looked at below.
    qa, qb = np.asarray(a.position, np.float32), np.asarray(b.position, np.float32)
    ca, cb = qa.mean(axis=0), qb.mean(axis=0)
    if (
        cv2.pointPolygonTest(qb.reshape(-1, 1, 2), (float(ca[0]), float(ca[1])), False) >= 0
        or cv2.pointPolygonTest(qa.reshape(-1, 1, 2), (float(cb[0]), float(cb[1])), False) >= 0
    ):
        return True
    return a.symbology in _LINEAR and image is not None and _same_bars(a, b, image)


def _scan_line(hit: DecodedBarcode, towards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The top or bottom edge of a 1-D read, whichever is nearer ``towards``."""
    quad = np.asarray(hit.position, np.float64)
    top, bottom = (quad[0], quad[1]), (quad[3], quad[2])
    nearer_top = np.linalg.norm((top[0] + top[1]) / 2 - towards) <= np.linalg.norm(
        (bottom[0] + bottom[1]) / 2 - towards
    )
    return top if nearer_top else bottom


def _profile(image: Gray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    t = np.linspace(0.0, 1.0, _SAMPLES)[:, None]
    points = np.round(start + (end - start) * t).astype(int)
    xs = np.clip(points[:, 0], 0, image.shape[1] - 1)
    ys = np.clip(points[:, 1], 0, image.shape[0] - 1)
    values: np.ndarray = image[ys, xs].astype(np.float64)
    centred: np.ndarray = values - values.mean()
    return centred


def _same_bars(a: DecodedBarcode, b: DecodedBarcode, image: Gray) -> bool:
    """Two reads of a 1-D code on different scan lines of the same bars: their ends line
    up, and halfway between them the image shows the same bar pattern (two copies of a
    label, one above the other, have paper between them instead)."""
    ca, cb = np.mean(a.position, axis=0), np.mean(b.position, axis=0)
    (a0, a1), (b0, b1) = _scan_line(a, cb), _scan_line(b, ca)
    length = float(np.linalg.norm(a1 - a0))
    if length == 0:
        return False
    axis = (a1 - a0) / length
    if abs(float((b0 - a0) @ axis)) > 0.15 * length or abs(float((b1 - a1) @ axis)) > 0.15 * length:
        return False
    middle = _profile(image, (a0 + b0) / 2, (a1 + b1) / 2)
    for start, end in ((a0, a1), (b0, b1)):
        line = _profile(image, start, end)
        norm = float(np.linalg.norm(line) * np.linalg.norm(middle))
        if norm == 0 or float(line @ middle) / norm < 0.6:
            return False
    return True


def grown(quad: Quad, factor: float) -> Quad:
    centre = quad.mean(axis=0)
    out: Quad = centre + (quad - centre) * factor
    return out


def blank(image: Gray, quad: Quad) -> None:
    """Paint a found symbol (and its quiet zone) in the paper's shade: nothing left to read."""
    h, w = image.shape
    big = grown(quad, 1.2)
    x0, y0 = np.clip(big.min(axis=0).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(big.max(axis=0).astype(int) + 1, 1, [w, h])
    ring = np.concatenate(
        [image[y0, x0:x1], image[y1 - 1, x0:x1], image[y0:y1, x0], image[y0:y1, x1 - 1]]
    )
    shade = int(np.median(ring)) if ring.size else 255
    cv2.fillConvexPoly(image, np.round(big).astype(np.int32), shade)

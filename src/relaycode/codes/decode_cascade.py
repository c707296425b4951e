"""The decoding passes: zxing-cpp on an image or a derived copy, and OpenCV's WeChat reader.

Measured on ZXing's black-box photographs and seeded synthetic sets (``bench/decode.py``):
the first pass is plain zxing-cpp with ``TextMode.Plain``; the cascade (decode_search.py)
retries on re-binarised, rescaled, contrast-equalised and sharpened copies and finally with
OpenCV's WeChat QR reader (no model files: its traditional detector). Cascade stages only
accept symbologies with strong checks (Reed-Solomon or a mod-103 check), and EAN/UPC
results, whose single check digit lets misreads through, must be read again from a crop.
Polarity is zxing-cpp's ``try_invert``: it flips the binarised bitmap, which costs far less
than a second pass on an inverted grey image.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

Gray = npt.NDArray[np.uint8]
Point = tuple[int, int]
Quad = npt.NDArray[np.float64]  # 4 x 2: top-left, top-right, bottom-right, bottom-left

_log = logging.getLogger(__name__)
# Decodes run one per CPU in worker threads; OpenCV's own thread pool on top of that only
# adds contention (measured: small filters took several times longer under load).
cv2.setNumThreads(1)
_F = zxingcpp.BarcodeFormat
# fmt: off
_NAMES: dict[str, str] = {
    "QRCode": "qr", "QRCodeModel1": "qr", "QRCodeModel2": "qr", "MicroQRCode": "microqr",
    "RMQRCode": "rmqr", "AztecCode": "aztec", "CompactPDF417": "pdf417", "ITF14": "itf",
    "Code39Std": "code39", "Code39Ext": "code39", "DataBarOmni": "databar",
    "DataBarExp": "databarexpanded", "DataBarLtd": "databarlimited",
}
# fmt: on
# A single mod-10 check digit: misreads of a photographed label happen, so re-read them.
_WEAK = frozenset({"EAN13", "EAN8", "UPCA", "UPCE", "ISBN"})
# What the cascade may report: symbologies with Reed-Solomon codewords or a strong check.
_ALL = zxingcpp.BarcodeFormats([])  # empty: every readable symbology, as by default
_LINEAR = zxingcpp.barcode_formats_from_str("Code128,EAN13,EAN8,UPCA,UPCE")
_STRONG = zxingcpp.barcode_formats_from_str(
    "QRCode,MicroQRCode,RMQRCode,DataMatrix,Aztec,PDF417,Code128,EAN13,EAN8,UPCA,UPCE"
)
_PLAIN = zxingcpp.TextMode.Plain
_LOCAL = zxingcpp.Binarizer.LocalAverage
_UPSCALE_MAX_SIDE = 900  # only smaller images are worth enlarging
STAGE_DOWNSCALE = True


@dataclass(frozen=True, slots=True)
class DecodedBarcode:
    """One symbol found in an image; ``position`` is TL, TR, BR, BL in image pixels."""

    text: str
    symbology: str
    position: list[Point]
    engine: str


@dataclass(frozen=True, slots=True)
class Variant:
    """A derived image, the affine map back to original pixels, and how to read it."""

    image: Gray
    back: npt.NDArray[np.float64]  # 2 x 3: variant pixel -> original pixel
    engine: str
    binarizer: zxingcpp.Binarizer = _LOCAL
    formats: zxingcpp.BarcodeFormats = _ALL
    downscale: bool = True  # zxing-cpp's pyramid: off for derived copies (measured: costs
    # about a third of a read and rarely finds what the full-size copy misses)

    def original(self, quad: Quad) -> Quad:
        out: Quad = quad @ self.back[:, :2].T + self.back[:, 2]
        return out


def scaling(fx: float, fy: float | None = None) -> npt.NDArray[np.float64]:
    """The map back from an image resized by ``fx`` (and ``fy``, if different)."""
    return np.array([[1.0 / fx, 0.0, 0.0], [0.0, 1.0 / (fy or fx), 0.0]])


def then(
    first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The affine map ``second(first(p))``."""
    out: npt.NDArray[np.float64] = second[:, :2] @ first
    out[:, 2] += second[:, 2]
    return out


def symbology_name(fmt: zxingcpp.BarcodeFormat) -> str:
    return _NAMES.get(fmt.name, fmt.name.lower())


def quad_of(position: zxingcpp.Position) -> Quad:
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return np.array([[p.x, p.y] for p in corners], dtype=np.float64)


def _u8(image: npt.ArrayLike) -> Gray:
    return np.asarray(image, dtype=np.uint8)


def resize(gray: Gray, factor: float) -> tuple[Gray, npt.NDArray[np.float64]]:
    """``gray`` scaled by ``factor`` (at least 1 pixel each way) and the map back."""
    h, w = gray.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    image = _u8(cv2.resize(gray, size, interpolation=interp))
    return image, scaling(size[0] / w, size[1] / h)


def _crop(gray: Gray, quad: Quad) -> Gray:
    """The symbol's bounding box with a margin for the quiet zone and taller bars."""
    (x0, y0), (x1, y1) = quad.min(axis=0), quad.max(axis=0)
    margin = 0.4 * max(x1 - x0, y1 - y0, 8.0)
    h, w = gray.shape
    top, left = int(max(0, y0 - margin)), int(max(0, x0 - margin))
    bottom, right = int(min(h, y1 + margin + 1)), int(min(w, x1 + margin + 1))
    return np.ascontiguousarray(gray[top:bottom, left:right])


def _weak(result: zxingcpp.Barcode) -> bool:
    """A mod-10 check digit, or Micro QR M1 (error detection only): misreads get through."""
    extra = result.extra if isinstance(result.extra, dict) else {}
    return result.format.name in _WEAK or extra.get("Version") == "M1"


def _inside(small: Quad, big: Quad) -> bool:
    """Is ``small`` a much shorter symbol lying on ``big``? (UPC-E read off half an EAN-13)."""
    start, end = (big[0] + big[3]) / 2, (big[1] + big[2]) / 2
    length = float(np.linalg.norm(end - start))
    small_length = float(np.linalg.norm((small[1] + small[2] - small[0] - small[3]) / 2))
    if length == 0 or small_length >= 0.75 * length:
        return False
    axis = (end - start) / length
    offset = small.mean(axis=0) - start
    along = float(offset @ axis)
    across = abs(float(offset[0] * axis[1] - offset[1] * axis[0]))
    return -0.1 * length <= along <= 1.1 * length and across <= 0.35 * length


def _reads_again(image: Gray, result: zxingcpp.Barcode) -> bool:
    """Does a rescaled crop around ``result`` give the same text? Misreads rarely repeat."""
    crop = _crop(image, quad_of(result.position))
    if crop.size == 0:
        return False
    for factor in (1.3, 0.9):
        again = zxingcpp.read_barcodes(
            resize(crop, factor)[0],
            formats=zxingcpp.BarcodeFormats(result.format),
            text_mode=_PLAIN,
        )
        if any(r.text == result.text for r in again):
            return True
    return False


def zxing_pass(variant: Variant) -> list[DecodedBarcode]:
    """Every symbol zxing-cpp reads in ``variant``, positions in original pixels."""
    found = zxingcpp.read_barcodes(
        variant.image,
        formats=variant.formats,
        try_invert=True,
        text_mode=_PLAIN,
        binarizer=variant.binarizer,
        try_downscale=variant.downscale,
    )
    found = [r for r in found if r.valid and r.error is None and r.text]
    linear = [quad_of(r.position) for r in found if r.format.name in _WEAK]
    out: list[DecodedBarcode] = []
    for r in found:
        if _weak(r):
            quad = quad_of(r.position)
            if any(_inside(quad, other) for other in linear) or not _reads_again(variant.image, r):
                continue
        corners = [(round(x), round(y)) for x, y in variant.original(quad_of(r.position))]
        out.append(DecodedBarcode(r.text, symbology_name(r.format), corners, variant.engine))
    return out


_local = threading.local()


def wechat_pass(gray: Gray, back: npt.NDArray[np.float64]) -> list[DecodedBarcode]:
    """OpenCV contrib's WeChat QR reader without its CNN models (none are shipped)."""
    detector = getattr(_local, "wechat", None)
    if detector is None:
        detector = _local.wechat = cv2.wechat_qrcode.WeChatQRCode()
    try:
        texts, points = detector.detectAndDecode(gray)
    except (cv2.error, UnicodeDecodeError):  # non-UTF-8 payloads cannot cross into Python
        return []
    out: list[DecodedBarcode] = []
    for text, pts in zip(texts, points, strict=False):
        quad = np.asarray(pts, dtype=np.float64).reshape(-1, 2)[:4]
        if text and quad.shape == (4, 2):
            corners = [(round(x), round(y)) for x, y in quad @ back[:, :2].T + back[:, 2]]
            out.append(DecodedBarcode(text, "qr", corners, "wechat"))
    return out


def _clahe(gray: Gray) -> Gray:
    return _u8(cv2.createCLAHE(clipLimit=4.0, tileGridSize=(8, 8)).apply(gray))


def _smooth(gray: Gray) -> Gray:
    return _u8(cv2.GaussianBlur(gray, (0, 0), 1.0))


def _sharpen(gray: Gray, sigma: float = 3.0) -> Gray:
    blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
    return _u8(cv2.addWeighted(gray, 3.0, blurred, -2.0, 0))


def _threshold(gray: Gray) -> Gray:
    return _u8(
        cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 5)
    )


def _rotated(gray: Gray, angle: float, back: npt.NDArray[np.float64]) -> Variant:
    """Turned by ``angle`` degrees on a canvas that holds it all: 1-D codes at odd angles."""
    h, w = gray.shape
    forward = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(forward[0, 0]), abs(forward[0, 1])
    size = (int(h * sin + w * cos), int(h * cos + w * sin))
    forward[:, 2] += (size[0] - w) / 2, (size[1] - h) / 2
    image = _u8(cv2.warpAffine(gray, forward, size, borderMode=cv2.BORDER_REPLICATE))
    inverse = cv2.invertAffineTransform(forward).astype(np.float64)
    return Variant(image, then(inverse, back), "zxing-rotate", formats=_LINEAR, downscale=False)


def _enlarged(
    gray: Gray, factor: float, back: npt.NDArray[np.float64], *, sharpen: bool = False
) -> Variant:
    """Small modules (a code far from the camera) read better after interpolation."""
    image, scaled = resize(gray, factor)
    engine = "zxing-rescale"
    if sharpen:
        image, engine = _sharpen(image, 4.0), "zxing-rescale-sharpen"
    return Variant(image, then(scaled, back), engine, formats=_STRONG, downscale=False)


Stage = tuple[float, Callable[[], Variant]]  # (pixels it reads per input pixel, build it)


def stages(gray: Gray, back: npt.NDArray[np.float64]) -> list[Stage]:
    """Cascade stages in order, built lazily: most images never need the later ones. Each
    says how many pixels it will read per pixel of ``gray``, so that a caller can tell
    whether it can afford a stage before paying for its filters."""
    gh = zxingcpp.Binarizer.GlobalHistogram

    def same_size(image: Gray, engine: str, binarizer: zxingcpp.Binarizer = _LOCAL) -> Variant:
        return Variant(image, back, engine, binarizer, _STRONG, STAGE_DOWNSCALE)

    out: list[Stage] = [
        (1.0, lambda: same_size(_smooth(gray), "zxing-smooth")),
        (1.0, lambda: same_size(_clahe(gray), "zxing-clahe", gh)),
        (1.0, lambda: same_size(_sharpen(gray), "zxing-sharpen")),
    ]
    for up in (2.0, 3.0):
        if max(gray.shape) * up <= 2 * _UPSCALE_MAX_SIDE:
            out.append((up * up, partial(_enlarged, gray, up, back)))
    out += [
        (1.0, lambda: same_size(_threshold(gray), "zxing-threshold")),
        (2.0, lambda: _rotated(gray, 45.0, back)),  # the turned canvas: up to twice the area
    ]
    if max(gray.shape) <= _UPSCALE_MAX_SIDE:
        out.append((4.0, partial(_enlarged, gray, 2.0, back, sharpen=True)))
    return out

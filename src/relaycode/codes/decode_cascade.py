"""The decoding core: one zxing-cpp pass, then a short cascade only when it finds nothing.

Measured on ZXing's black-box photographs and a seeded synthetic set (``bench/decode.py``):
the first pass is plain zxing-cpp with ``TextMode.Plain``; when it finds nothing we retry on
re-binarised, rescaled, contrast-equalised and sharpened copies and finally with OpenCV's
WeChat QR reader (no model files: its traditional detector). Cascade stages only accept
symbologies with strong checks (Reed-Solomon or a mod-103 check), and EAN/UPC results,
whose single check digit lets misreads through, must be read again from a rescaled crop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

Gray = npt.NDArray[np.uint8]
Point = tuple[int, int]
Quad = npt.NDArray[np.float64]  # 4 x 2: top-left, top-right, bottom-right, bottom-left

_log = logging.getLogger(__name__)
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
_CASCADE_MAX_SIDE = 1600  # larger photos are shrunk first: modules are big enough there
_UPSCALE_MAX_SIDE = 900  # only smaller images are worth enlarging


@dataclass(frozen=True, slots=True)
class DecodedBarcode:
    """One symbol found in an image; ``position`` is TL, TR, BR, BL in image pixels."""

    text: str
    symbology: str
    position: list[Point]
    engine: str


@dataclass(frozen=True, slots=True)
class _Variant:
    """A derived image, the affine map back to original pixels, and how to read it."""

    image: Gray
    back: npt.NDArray[np.float64]  # 2 x 3: variant pixel -> original pixel
    engine: str
    binarizer: zxingcpp.Binarizer = _LOCAL
    formats: zxingcpp.BarcodeFormats = _ALL

    def original(self, quad: Quad) -> Quad:
        out: Quad = quad @ self.back[:, :2].T + self.back[:, 2]
        return out


def _scaling(fx: float, fy: float | None = None) -> npt.NDArray[np.float64]:
    """The map back from an image resized by ``fx`` (and ``fy``, if different)."""
    return np.array([[1.0 / fx, 0.0, 0.0], [0.0, 1.0 / (fy or fx), 0.0]])


def _then(
    first: npt.NDArray[np.float64], second: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The affine map ``second(first(p))``."""
    out: npt.NDArray[np.float64] = second[:, :2] @ first
    out[:, 2] += second[:, 2]
    return out


def symbology_name(fmt: zxingcpp.BarcodeFormat) -> str:
    return _NAMES.get(fmt.name, fmt.name.lower())


def _quad(position: zxingcpp.Position) -> Quad:
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return np.array([[p.x, p.y] for p in corners], dtype=np.float64)


def _u8(image: npt.ArrayLike) -> Gray:
    return np.asarray(image, dtype=np.uint8)


def _resize(gray: Gray, factor: float) -> tuple[Gray, npt.NDArray[np.float64]]:
    """``gray`` scaled by ``factor`` (at least 1 pixel each way) and the map back."""
    h, w = gray.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    image = _u8(cv2.resize(gray, size, interpolation=interp))
    return image, _scaling(size[0] / w, size[1] / h)


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
    crop = _crop(image, _quad(result.position))
    if crop.size == 0:
        return False
    for factor in (1.3, 0.9):
        again = zxingcpp.read_barcodes(
            _resize(crop, factor)[0],
            formats=zxingcpp.BarcodeFormats(result.format),
            text_mode=_PLAIN,
        )
        if any(r.text == result.text for r in again):
            return True
    return False


def _zxing(variant: _Variant) -> list[DecodedBarcode]:
    found = zxingcpp.read_barcodes(
        variant.image,
        formats=variant.formats,
        try_invert=False,
        text_mode=_PLAIN,
        binarizer=variant.binarizer,
    )
    found = [r for r in found if r.valid and r.error is None and r.text]
    linear = [_quad(r.position) for r in found if r.format.name in _WEAK]
    out: list[DecodedBarcode] = []
    for r in found:
        if _weak(r):
            quad = _quad(r.position)
            if any(_inside(quad, other) for other in linear) or not _reads_again(variant.image, r):
                continue
        corners = [(round(x), round(y)) for x, y in variant.original(_quad(r.position))]
        out.append(DecodedBarcode(r.text, symbology_name(r.format), corners, variant.engine))
    return out


_local = threading.local()


def _wechat(gray: Gray, back: npt.NDArray[np.float64]) -> list[DecodedBarcode]:
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


def _rotated(gray: Gray, angle: float, back: npt.NDArray[np.float64]) -> _Variant:
    """Turned by ``angle`` degrees on a canvas that holds it all: 1-D codes at odd angles."""
    h, w = gray.shape
    forward = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(forward[0, 0]), abs(forward[0, 1])
    size = (int(h * sin + w * cos), int(h * cos + w * sin))
    forward[:, 2] += (size[0] - w) / 2, (size[1] - h) / 2
    image = _u8(cv2.warpAffine(gray, forward, size, borderMode=cv2.BORDER_REPLICATE))
    inverse = cv2.invertAffineTransform(forward).astype(np.float64)
    return _Variant(image, _then(inverse, back), "zxing-rotate", formats=_LINEAR)


def _enlarged(
    gray: Gray, factor: float, back: npt.NDArray[np.float64], *, sharpen: bool = False
) -> _Variant:
    """Small modules (a code far from the camera) read better after interpolation."""
    image, scaled = _resize(gray, factor)
    engine = "zxing-rescale"
    if sharpen:
        image, engine = _sharpen(image, 4.0), "zxing-rescale-sharpen"
    return _Variant(image, _then(scaled, back), engine, formats=_STRONG)


def _stages(gray: Gray, back: npt.NDArray[np.float64]) -> list[Callable[[], _Variant]]:
    """Cascade stages in order, built lazily: most images never need the later ones."""
    gh = zxingcpp.Binarizer.GlobalHistogram

    def same_size(image: Gray, engine: str, binarizer: zxingcpp.Binarizer = _LOCAL) -> _Variant:
        return _Variant(image, back, engine, binarizer, _STRONG)

    stages: list[Callable[[], _Variant]] = [
        lambda: same_size(_smooth(gray), "zxing-smooth"),
        lambda: same_size(_clahe(gray), "zxing-clahe", gh),
        lambda: same_size(_sharpen(gray), "zxing-sharpen"),
    ]
    for up in (2.0, 3.0):
        if max(gray.shape) * up <= 2 * _UPSCALE_MAX_SIDE:
            stages.append(partial(_enlarged, gray, up, back))
    stages += [
        lambda: same_size(_threshold(gray), "zxing-threshold"),
        lambda: _rotated(gray, 45.0, back),
    ]
    if max(gray.shape) <= _UPSCALE_MAX_SIDE:
        stages.append(partial(_enlarged, gray, 2.0, back, sharpen=True))
    return stages


def _unique(found: list[DecodedBarcode]) -> list[DecodedBarcode]:
    """One result per (text, symbology): the first, in reading order."""
    first: dict[tuple[str, str], DecodedBarcode] = {}
    for b in found:
        first.setdefault((b.text, b.symbology), b)
    return list(first.values())


def decode_gray(gray: Gray) -> list[DecodedBarcode]:
    """Every barcode zxing-cpp finds; if none, what the first cascade stage finds."""
    # zxing-cpp's try_invert costs time even when the first try works, so polarity is ours:
    # dark-on-light first, everywhere, then the light-on-dark (screen in dark mode) retries.
    inverted = _u8(cv2.bitwise_not(gray))
    for image, engine in ((gray, "zxing"), (inverted, "zxing-invert")):
        found = _zxing(_Variant(image, _scaling(1.0), engine))
        if found:
            return _unique(found)
    small, small_inverted, back = gray, inverted, _scaling(1.0)
    if max(gray.shape) > _CASCADE_MAX_SIDE:
        small, back = _resize(gray, _CASCADE_MAX_SIDE / max(gray.shape))
        small_inverted = _u8(cv2.bitwise_not(small))
    for image, suffix in ((small, ""), (small_inverted, "-invert")):
        for stage in _stages(image, back):
            try:
                variant = stage()
                found = _zxing(replace(variant, engine=variant.engine + suffix))
            except (cv2.error, RuntimeError, ValueError):  # an odd shape: skip, never a 500
                _log.warning("decode stage failed on a %s image", image.shape, exc_info=True)
                continue
            if found:
                return _unique(found)
    return _unique(_wechat(small, back))

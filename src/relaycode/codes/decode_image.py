"""Image bytes to an 8-bit grey array, with the cost decided from the header alone.

An upload of a few kB may declare a bitmap of hundreds of megabytes, and 16-bit or RGBA
samples multiply that. ``plan`` reads only the header (Pillow opens lazily; for PNG the
IHDR bit depth and colour type), estimates the bytes the decode will hold, and refuses
what cannot be decoded before any pixel is inflated. ``Plan.load`` then goes to grey as
early as each format allows:

* JPEG: libjpeg scales by 1/2, 1/4 or 1/8 while decoding and outputs grey (``draft``), so a
  large photo costs one byte per pixel, or less when it has to be shrunk to fit;
* opaque PNG: OpenCV's libpng reader strips 16-bit samples and colour row by row, one byte
  per pixel where Pillow would hold four;
* the rest (transparency, animation, GIF, WebP): Pillow, converted in bands of rows.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np
from PIL import Image, PngImagePlugin

from relaycode.codes.decode_cascade import Gray
from relaycode.errors import InvalidInput, TooLarge

FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
MAX_SIDE = 20_000  # beyond this no barcode reader is useful (OpenCV stops at 32,767)
MAX_ASPECT = 100  # 1 x 39,000,000 is not a picture of anything
WORK_BYTES_PER_PIXEL = 8  # the cascade's copies of the (at most 2500 px) working image
_BAND_ROWS = 256
# Pillow holds every image of more than one band as 4 bytes a pixel.
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
# Text chunks are inflated at open: cap what a PNG may make us hold for them (default 64 MB).
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024


def bad_image(message: str) -> InvalidInput:
    return InvalidInput(message, code="bad_image", status=422)


def too_many_pixels(message: str, max_pixels: int) -> TooLarge:
    return TooLarge(message, code="image_too_many_pixels", details={"max_pixels": max_pixels})


@dataclass(frozen=True, slots=True)
class Plan:
    """How one image will be decoded, and the bytes that holds at most."""

    width: int
    height: int
    memory: int
    load: Callable[[], Gray]


def plan(
    data: bytes, *, max_pixels: int, max_memory: int, work_pixels: int
) -> tuple[Image.Image, Plan]:
    """Open ``data`` (header only) and decide how to decode it; the caller closes the image."""
    if not data:
        raise bad_image("empty image")
    try:
        im = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError as exc:
        raise too_many_pixels("image has far too many pixels", max_pixels) from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError...
        raise bad_image(
            f"not a readable PNG, JPEG, WebP or GIF image ({type(exc).__name__})"
        ) from exc
    try:
        return im, _plan(im, data, max_pixels, max_memory, work_pixels)
    except BaseException:
        im.close()
        raise


def _plan(im: Image.Image, data: bytes, max_pixels: int, max_memory: int, work: int) -> Plan:
    width, height = im.size
    if width <= 0 or height <= 0:
        raise bad_image("image has no pixels")
    long, short = max(width, height), min(width, height)
    if long > MAX_SIDE or long > MAX_ASPECT * short:
        raise InvalidInput(
            f"a {width} x {height} image is not a picture a barcode can be read from",
            code="image_bad_shape",
            details={"max_side": MAX_SIDE, "max_aspect": MAX_ASPECT},
        )
    pixels = width * height
    # JPEG may be shrunk while decoding, so it may declare more pixels than it is decoded at.
    declared = 4 * max_pixels if im.format == "JPEG" else max_pixels
    if pixels > declared:
        raise too_many_pixels(f"image has {pixels} pixels, the limit is {declared}", declared)
    overhead = min(pixels, work) * WORK_BYTES_PER_PIXEL
    if _orientation(im) != 1:
        overhead += pixels  # the turned copy
    if im.format == "JPEG":
        return _jpeg_plan(im, max_pixels, max_memory - overhead, overhead)
    if im.format == "PNG" and _opaque_still_png(im, data):
        cost = pixels + overhead
        _check_memory(cost, max_memory, pixels)
        return Plan(width, height, cost, lambda: _png_gray(data, im))
    per_pixel = _MODE_BYTES.get(im.mode, 4) + 1  # Pillow's frame, then our grey copy
    if im.format == "WEBP":
        per_pixel += 4  # libwebp's own canvas
    cost = pixels * per_pixel + overhead
    _check_memory(cost, max_memory, pixels)
    return Plan(width, height, cost, lambda: _pillow_gray(im))


def _check_memory(cost: int, max_memory: int, pixels: int) -> None:
    if cost > max_memory:
        fit = max(1, pixels * max_memory // max(cost, 1))
        raise too_many_pixels(
            f"decoding this image needs {cost >> 20} MB, the limit is {max_memory >> 20} MB; "
            "send it smaller, or as an opaque PNG or a JPEG",
            fit,
        )


def _opaque_still_png(im: Image.Image, data: bytes) -> bool:
    """No alpha channel, no tRNS, no animation: OpenCV can read it straight to grey."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        return False
    colour = data[25]  # IHDR: width, height, bit depth, colour type...
    has_alpha = colour in (4, 6) or "transparency" in im.info
    return not has_alpha and getattr(im, "n_frames", 1) == 1


def _png_gray(data: bytes, im: Image.Image) -> Gray:
    flags = cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if gray is None or gray.shape != (im.height, im.width):
        raise bad_image("the PNG image data is damaged or incomplete")
    if data[24] == 16:  # 16-bit samples that use only the low range: stretch, not crush
        top = int(gray.max())
        if 0 < top < 128:
            gray = cv2.convertScaleAbs(gray, alpha=255.0 / top)
    return _upright(np.ascontiguousarray(gray, dtype=np.uint8), im)


def _jpeg_plan(im: Image.Image, max_pixels: int, budget: int, overhead: int) -> Plan:
    width, height = im.size
    pixels = width * height
    # Progressive (and multi-scan) JPEG keeps every DCT coefficient: 2 bytes a sample.
    channels = len(im.getbands())
    coefficients = 2 * pixels * (1 if channels == 1 else 2) if "progression" in im.info else 0
    out_bytes = 4 if im.mode == "CMYK" else 1  # libjpeg cannot output grey from CMYK
    for scale in (1, 2, 4, 8):
        size = (math.ceil(width / scale), math.ceil(height / scale))
        decoded = size[0] * size[1]
        cost = coefficients + decoded * (out_bytes + 1)  # Pillow's frame, then our copy
        if decoded <= max_pixels and cost <= budget:
            return Plan(width, height, cost + overhead, partial(_jpeg_gray, im, size))
    _check_memory(coefficients + overhead, budget + overhead, pixels)
    raise too_many_pixels("this JPEG is too large to decode even at 1/8 scale", max_pixels)


def _jpeg_gray(im: Image.Image, size: tuple[int, int]) -> Gray:
    im.draft("CMYK" if im.mode == "CMYK" else "L", size)
    return _pillow_gray(im)


def _pillow_gray(im: Image.Image) -> Gray:
    """Frame 0 to grey in bands of rows, transparent areas on white."""
    im.load()
    width, height = im.size
    out = np.empty((height, width), np.uint8)
    top = 0
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        extrema = im.getextrema()
        top = int(extrema[1]) if isinstance(extrema[1], int | float) else 0
    for y in range(0, height, _BAND_ROWS):
        band = im.crop((0, y, width, min(height, y + _BAND_ROWS)))
        out[y : y + band.height] = _band_gray(band, top)
    return _upright(out, im)


def _band_gray(band: Image.Image, top: int) -> Gray:
    if band.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(band, dtype=np.float32)
        if top > 255:
            values *= 255.0 / top
        return np.clip(values, 0, 255).astype(np.uint8)
    if band.mode in _ALPHA_MODES or "transparency" in band.info:
        la = np.asarray(band.convert("RGBA").convert("LA"), dtype=np.uint16)
        grey, alpha = la[..., 0], la[..., 1]
        return (255 - ((255 - grey) * alpha + 127) // 255).astype(np.uint8)
    return np.asarray(band.convert("L"), dtype=np.uint8)


def _upright(gray: Gray, im: Image.Image) -> Gray:
    """Apply the EXIF orientation of phone photos (read from the header; broken: ignored)."""
    orientation = _orientation(im)
    if orientation == 2:
        gray = gray[:, ::-1]
    elif orientation == 3:
        gray = gray[::-1, ::-1]
    elif orientation == 4:
        gray = gray[::-1, :]
    elif orientation == 5:
        gray = gray.T
    elif orientation == 6:
        gray = np.rot90(gray, -1)
    elif orientation == 7:
        gray = np.rot90(gray, -1)[::-1, :]
    elif orientation == 8:
        gray = np.rot90(gray, 1)
    return np.ascontiguousarray(gray)


def _orientation(im: Image.Image) -> int:
    raw = im.info.get("exif")
    if not isinstance(raw, bytes) or not raw:
        return 1
    try:
        exif = Image.Exif()
        exif.load(raw)
        value = exif.get(0x0112, 1)
        return int(value) if isinstance(value, int) else 1
    except (SyntaxError, ValueError, struct.error, OSError, TypeError, IndexError):
        return 1


def load_errors() -> tuple[type[BaseException], ...]:
    """What Pillow raises for a damaged file while loading (mapped to ``bad_image``)."""
    return (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, cv2.error)


__all__ = ["Plan", "bad_image", "load_errors", "plan", "too_many_pixels"]

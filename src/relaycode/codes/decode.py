"""Find barcodes in an uploaded image: validate the bytes, then decode (decode_cascade.py).

Limits are checked before any pixel is decoded: the byte size first, then the dimensions the
header declares (Pillow reads only the header on open), so a small file that inflates to a
huge bitmap never gets decompressed. Anything Pillow cannot read is a 422 ``bad_image``.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

from relaycode.codes.decode_cascade import DecodedBarcode, Gray, decode_gray, symbology_name
from relaycode.errors import AppError, InvalidInput, TooLarge

__all__ = ["DecodedBarcode", "decode_array", "decode_image_bytes", "symbology_name"]

FORMATS = ("PNG", "JPEG", "WEBP", "GIF")


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, code="bad_image", status=422)


def _too_many(max_pixels: int) -> TooLarge:
    return TooLarge(
        f"image has more than {max_pixels} pixels",
        code="image_too_many_pixels",
        details={"max_pixels": max_pixels},
    )


def decode_image_bytes(data: bytes, *, max_bytes: int, max_pixels: int) -> list[DecodedBarcode]:
    """Every barcode in a PNG, JPEG, WebP or GIF image (the first frame of an animation).

    Raises ``TooLarge`` (``image_too_large``, ``image_too_many_pixels``) or
    ``InvalidInput`` (``bad_image``); nothing else escapes for a bad upload.
    """
    if len(data) > max_bytes:
        raise TooLarge(
            f"image is {len(data)} bytes, the limit is {max_bytes}",
            code="image_too_large",
            details={"max_bytes": max_bytes},
        )
    gray = load_gray(data, max_pixels=max_pixels)
    return decode_array(gray)


def load_gray(data: bytes, *, max_pixels: int) -> Gray:
    """Decode image bytes to an 8-bit grayscale array, transparent areas on white."""
    if not data:
        raise _bad("empty image")
    try:
        im = Image.open(io.BytesIO(data), formats=FORMATS)
        with im:
            width, height = im.size
            if width <= 0 or height <= 0:
                raise _bad("image has no pixels")
            if width * height > max_pixels:
                raise _too_many(max_pixels)
            im.load()
            return _to_gray(_upright(im))
    except Image.DecompressionBombError as exc:  # Pillow's own guard, at open
        raise _too_many(max_pixels) from exc
    except AppError:
        raise
    except Exception as exc:  # Pillow raises OSError, ValueError, SyntaxError, EOFError...
        raise _bad(f"not a readable PNG, JPEG, WebP or GIF image ({type(exc).__name__})") from exc


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation of phone photos; a broken EXIF block is ignored."""
    try:
        return ImageOps.exif_transpose(im) or im
    except Exception:
        return im


def _to_gray(im: Image.Image) -> Gray:
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(im, dtype=np.float64)
        top = float(values.max()) if values.size else 0.0
        scaled = values * (255.0 / top) if top > 255 else values
        return np.ascontiguousarray(np.clip(scaled, 0, 255).astype(np.uint8))
    if im.mode in ("RGBA", "LA", "PA", "P", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        white.alpha_composite(rgba)
        im = white
    return np.ascontiguousarray(np.asarray(im.convert("L"), dtype=np.uint8))


def decode_array(gray: Gray) -> list[DecodedBarcode]:
    """Every barcode in an 8-bit grayscale image (a BGR array is converted)."""
    arr = np.asarray(gray)
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        weights = np.array([0.114, 0.587, 0.299, 0.0][: arr.shape[2]])
        arr = (arr[..., : arr.shape[2]].astype(np.float64) @ weights).round()
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"expected a 2-D grayscale array, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return decode_gray(np.ascontiguousarray(arr))

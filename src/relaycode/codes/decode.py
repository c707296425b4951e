"""Find barcodes in an uploaded image: validate the bytes, then search (decode_search.py).

Limits are checked before any pixel is decoded: the byte size first, then what the header
declares (decode_image.py): dimensions, shape, and the memory the bitmap would take at its
bit depth. Anything Pillow cannot read is a 422 ``bad_image``; an image that would need
too much memory is a 413; a busy server is a 503 (decode_gate.py).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace

import numpy as np

from relaycode.codes.decode_cascade import DecodedBarcode, Gray, symbology_name
from relaycode.codes.decode_gate import DecodeGate
from relaycode.codes.decode_image import bad_image, load_errors, plan
from relaycode.codes.decode_search import DEFAULT_SECONDS, WORK_MAX_SIDE, decode_gray
from relaycode.errors import TooLarge

__all__ = [
    "DEFAULT_MEMORY",
    "DEFAULT_SECONDS",
    "DecodedBarcode",
    "decode_array",
    "decode_image_bytes",
    "symbology_name",
]

DEFAULT_MEMORY = 256 * 1024 * 1024


def decode_image_bytes(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_memory: int = DEFAULT_MEMORY,
    seconds: float | None = DEFAULT_SECONDS,
    effort: float = 1.0,
    gate: DecodeGate | None = None,
) -> list[DecodedBarcode]:
    """Every barcode in a PNG, JPEG, WebP or GIF image (the first frame of an animation).

    Raises ``TooLarge`` (``image_too_large``, ``image_too_many_pixels``), ``InvalidInput``
    (``bad_image``, ``image_bad_shape``) or, with a ``gate`` whose memory is taken,
    ``DecodeBusy``; nothing else escapes for a bad upload. ``seconds`` bounds the search,
    ``effort`` scales the cascade's work allowance (decode_search.py; ``inf``: all stages).
    """
    if len(data) > max_bytes:
        raise TooLarge(
            f"image is {len(data)} bytes, the limit is {max_bytes}",
            code="image_too_large",
            details={"max_bytes": max_bytes},
        )
    if gate is not None:
        max_memory = min(max_memory, gate.memory)
    im, how = plan(data, max_pixels=max_pixels, max_memory=max_memory, work_pixels=WORK_MAX_SIDE**2)
    held: AbstractContextManager[None] = gate.hold(how.memory) if gate else nullcontext()
    with held:
        with im:
            try:
                gray = how.load()
            except load_errors() as exc:
                kind = type(exc).__name__
                raise bad_image(f"the image data is damaged or incomplete ({kind})") from exc
        found = decode_gray(gray, seconds=seconds, effort=effort)
    # A JPEG shrunk while decoding: positions are given in the pixels of the file.
    scale = max(how.width, how.height) / max(gray.shape)
    if scale == 1:
        return found
    return [
        replace(b, position=[(round(x * scale), round(y * scale)) for x, y in b.position])
        for b in found
    ]


def decode_array(
    gray: Gray, *, seconds: float | None = DEFAULT_SECONDS, effort: float = 1.0
) -> list[DecodedBarcode]:
    """Every barcode in an 8-bit grayscale image (a BGR array is converted)."""
    arr = np.asarray(gray)
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        weights = np.array([0.114, 0.587, 0.299, 0.0][: arr.shape[2]])
        arr = (arr[..., : arr.shape[2]].astype(np.float64) @ weights).round()
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"expected a 2-D grayscale array, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return decode_gray(np.ascontiguousarray(arr), seconds=seconds, effort=effort)

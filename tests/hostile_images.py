"""Small files that are expensive to decode: the hostile uploads of issue 5 §2.

Each is a few kB to a few hundred kB on the wire and declares a bitmap of up to tens of
megapixels (or an absurd shape, or many frames). PNGs are written chunk by chunk here so
that any bit depth, colour type and frame count can be declared.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Bytes per pixel of a PNG row, by (colour type, bit depth >= 8).
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _rows(width: int, height: int, colour: int, depth: int, value: int) -> bytes:
    """zlib stream of ``height`` filter-0 rows of a constant byte: compresses ~1000:1.

    Made fast: after a full flush deflate starts afresh, so a block of rows compressed once
    can be repeated as is (only the Adler-32 of the whole is computed over all of it).
    """
    per_row = (width * _CHANNELS[colour] * depth + 7) // 8
    row = b"\x00" + bytes([value]) * per_row
    rows_per_block = max(1, min(height, 1_000_000 // len(row)))
    block = row * rows_per_block
    count, rest = divmod(height, rows_per_block)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.compress(row * rest) + packer.flush(zlib.Z_FINISH)
    adler = 1
    for _ in range(count):
        adler = zlib.adler32(block, adler)
    adler = zlib.adler32(row * rest, adler)
    return b"\x78\xda" + packed * count + tail + struct.pack(">I", adler)


def png(
    width: int,
    height: int,
    *,
    depth: int = 8,
    colour: int = 0,
    value: int = 255,
    extra: bytes = b"",
    truncate: bool = False,
) -> bytes:
    """A PNG of constant pixels; ``extra`` chunks go before IDAT (PLTE, tRNS, acTL...)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    idat = _rows(width, height, colour, depth, value)
    if truncate:
        idat = idat[: len(idat) // 2]
    body = PNG_MAGIC + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", idat)
    return body if truncate else body + chunk(b"IEND", b"")


def png_of(pixels: np.ndarray, colour: int) -> bytes:
    """A PNG of ``pixels`` (uint8 or uint16, H x W x channels) with any colour type."""
    depth = 16 if pixels.dtype == np.uint16 else 8
    height, width = pixels.shape[:2]
    raw = pixels.astype(">u2" if depth == 16 else np.uint8).reshape(height, -1).view(np.uint8)
    rows = np.hstack([np.zeros((height, 1), np.uint8), raw.reshape(height, -1)]).tobytes()
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(rows))
    return PNG_MAGIC + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def palette_png(width: int, height: int) -> bytes:
    """A 256-colour palette PNG with a transparency entry for every colour."""
    plte = bytes(range(256)) * 3
    trns = bytes(range(256))
    return png(width, height, colour=3, value=7, extra=chunk(b"PLTE", plte) + chunk(b"tRNS", trns))


def apng(width: int, height: int, frames: int) -> bytes:
    """An animated PNG: a full default image, then ``frames`` 1x1 frames (fcTL + fdAT)."""
    parts = [
        PNG_MAGIC,
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),
        chunk(b"acTL", struct.pack(">II", frames + 1, 0)),
        chunk(b"fcTL", struct.pack(">IIIIIHHBB", 0, width, height, 0, 0, 1, 10, 0, 0)),
        chunk(b"IDAT", _rows(width, height, 6, 8, 255)),
    ]
    tiny = zlib.compress(b"\x00\x00\x00\x00\xff")
    seq = 1
    for i in range(frames):
        x, y = i % width, (i // width) % height
        fctl = struct.pack(">IIIIIHHBB", seq, 1, 1, x, y, 1, 10, 0, 0)
        parts.append(chunk(b"fcTL", fctl))
        parts.append(chunk(b"fdAT", struct.pack(">I", seq + 1) + tiny))
        seq += 2
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)


def animated_gif(width: int, height: int, frames: int) -> bytes:
    """A GIF with a large logical screen and many 1x1 frames (written by hand: Pillow's
    encoder compares whole frames and takes seconds for this)."""
    head = (
        b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    )
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    # One pixel of colour 0, LZW with 2-bit minimum code size: clear (4), 0, end (5).
    pixel = b"\x02\x02\x44\x01\x00"
    parts = [head, loop]
    for i in range(frames):
        x, y = i % width, (i // width) % height
        parts.append(b"\x21\xf9\x04\x00\x01\x00\x00\x00")  # graphic control: 10 ms
        parts.append(b"\x2c" + struct.pack("<HHHHB", x, y, 1, 1, 0) + pixel)
    parts.append(b"\x3b")
    return b"".join(parts)


def jpeg(width: int, height: int, *, progressive: bool = False, truncate: bool = False) -> bytes:
    """A large, nearly flat photo-like JPEG (a gradient, so it is not trivially empty)."""
    ramp = np.linspace(60, 200, width, dtype=np.uint8)[None, :]
    img = Image.fromarray(np.repeat(ramp, height, axis=0)).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=30, progressive=progressive)
    data = buf.getvalue()
    return data[: len(data) // 2] if truncate else data


def hostile_set() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, content type): 20 uploads, none of which may cost a 500 or a GB."""
    big = 6000
    sets: dict[str, tuple[bytes, str]] = {
        "png16-grey-6000": (png(big, big, depth=16), "image/png"),
        "png16-rgb-6000": (png(big, big, depth=16, colour=2), "image/png"),
        "png16-rgba-6000": (png(big, big, depth=16, colour=6), "image/png"),
        "png8-rgba-6000": (png(big, big, colour=6), "image/png"),
        "png-1x39M": (png(1, 39_000_000), "image/png"),
        "png-39Mx1": (png(39_000_000, 1), "image/png"),
        "png-bomb-20000": (png(20_000, 20_000, depth=1), "image/png"),
        "png-bomb-6300": (png(6300, 6300, colour=2), "image/png"),
        "png-truncated-6000": (png(big, big, depth=16, colour=2, truncate=True), "image/png"),
        "png-palette-6000": (palette_png(big, big), "image/png"),
        "apng-many-frames": (apng(4000, 4000, 3000), "image/png"),
        "gif-many-frames": (animated_gif(4000, 4000, 2000), "image/gif"),
        "jpeg-6000": (jpeg(big, big), "image/jpeg"),
        "jpeg-progressive-6000": (jpeg(big, big, progressive=True), "image/jpeg"),
        "jpeg-truncated": (jpeg(3000, 3000, truncate=True), "image/jpeg"),
        "tiff-pages": (_tiff_pages(), "image/tiff"),
        "png-interlaced-like-bomb": (png(6000, 6000, depth=16, colour=4), "image/png"),
        "png-1-bit-6000": (png(big, big, depth=1), "image/png"),
        "garbage": (b"\x89PNG\r\n\x1a\n" + b"\xff" * 4096, "image/png"),
        "empty": (b"", "image/png"),
    }
    return sets


def _tiff_pages() -> bytes:
    pages = [Image.new("L", (64, 64), i) for i in range(50)]
    buf = io.BytesIO()
    pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:])
    return buf.getvalue()

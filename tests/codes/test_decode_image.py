"""From upload bytes to grey pixels: what the header decides, and what each format costs."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import segno
from hostile_images import animated_gif, apng, png, png_of
from PIL import Image, ImageOps

from relaycode.codes import decode_image
from relaycode.codes.decode import decode_image_bytes
from relaycode.errors import InvalidInput, TooLarge

URL = "HTTP://127.0.0.1:8000/C/AEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAE"
LIMITS: dict[str, Any] = {"max_bytes": 8_000_000, "max_pixels": 40_000_000}
MB = 1024 * 1024


def qr(text: str = URL, module: int = 6) -> np.ndarray:
    code = segno.make(text, error="m")
    bits = np.array([list(r) for r in code.matrix_iter(scale=1, border=4)], dtype=bool)
    return np.kron(np.where(bits, 0, 255).astype(np.uint8), np.ones((module, module), np.uint8))


def save(image: Image.Image, fmt: str = "PNG", **kwargs: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def test_16_bit_grey_png_is_read_at_8_bits() -> None:
    wide = qr().astype(np.uint16) * 257  # full 16-bit range
    data = png_of(wide, colour=0)
    assert data[24:26] == b"\x10\x00"  # IHDR: 16-bit grey
    assert [b.text for b in decode_image_bytes(data, **LIMITS)] == [URL]
    low = (qr().astype(np.uint32) * 4000 // 255).astype(np.uint16)  # 12-bit data: stretched
    assert [b.text for b in decode_image_bytes(png_of(low, colour=0), **LIMITS)] == [URL]


def test_16_bit_rgba_with_transparent_paper_is_on_white() -> None:
    sym = qr()
    rgba = np.zeros((*sym.shape, 4), np.uint16)
    rgba[..., 3] = np.where(sym == 0, 65535, 0)  # black modules; the paper is transparent
    data = png_of(rgba, colour=6)
    assert data[24:26] == b"\x10\x06"  # IHDR: 16-bit RGBA
    assert [b.text for b in decode_image_bytes(data, **LIMITS)] == [URL]


@pytest.mark.parametrize("size", [(1, 39_000_000), (39_000_000, 1), (20_001, 400), (9000, 60)])
def test_absurd_shapes_are_refused_from_the_header(size: tuple[int, int]) -> None:
    data = png(*size)
    assert len(data) < 200_000
    with pytest.raises(InvalidInput) as err:
        decode_image_bytes(data, **LIMITS)
    assert (err.value.status, err.value.code) == (422, "image_bad_shape")


def test_memory_estimate_follows_bit_depth_and_alpha() -> None:
    """The same 2000 x 2000 pixels cost one byte each grey and opaque, five with alpha."""
    opaque, alpha = png(2000, 2000, depth=16), png(2000, 2000, colour=6)
    budget = 40 * MB  # 4 MB of pixels + 32 MB for the search's copies fit; 20 MB RGBA do not
    assert decode_image_bytes(opaque, **LIMITS, max_memory=budget) == []
    with pytest.raises(TooLarge) as err:
        decode_image_bytes(alpha, **LIMITS, max_memory=budget)
    assert (err.value.status, err.value.code) == (413, "image_too_many_pixels")
    assert 0 < err.value.details["max_pixels"] < 4_000_000


def _photo(side: int, at: tuple[int, int], module: int) -> tuple[bytes, np.ndarray]:
    page = np.full((side, side), 235, np.uint8)
    sym = qr(module=module)
    page[at[1] : at[1] + sym.shape[0], at[0] : at[0] + sym.shape[1]] = sym
    rgb = Image.fromarray(page).convert("RGB")
    return save(rgb, "JPEG", quality=85), sym


def test_large_photo_is_shrunk_not_refused_and_positions_are_in_its_pixels() -> None:
    data, sym = _photo(6000, (3100, 1700), module=12)
    im, how = decode_image.plan(data, max_pixels=10_000_000, max_memory=256 * MB, work_pixels=1)
    im.close()
    assert how.width == 6000  # 36 MP declared, more than max_pixels: decoded at 1/2 scale
    # No deadline: this is about scale and positions; on a loaded CI core 1.5 s can pass
    # before the search gets that far (the deadline has its own tests).
    (found,) = decode_image_bytes(data, max_bytes=8_000_000, max_pixels=10_000_000, seconds=None)
    assert found.text == URL
    tl, _, br, _ = found.position
    quiet = 4 * 12
    assert abs(tl[0] - 3100 - quiet) < 20 and abs(tl[1] - 1700 - quiet) < 20
    assert abs(br[0] - (3100 + sym.shape[1] - quiet)) < 20


def test_jpeg_is_scaled_while_decoding_to_fit_the_memory_budget() -> None:
    data, _ = _photo(4000, (1200, 1200), module=16)
    im, full = decode_image.plan(data, max_pixels=40_000_000, max_memory=256 * MB, work_pixels=0)
    with im:
        assert full.load().shape == (4000, 4000)
    im, small = decode_image.plan(data, max_pixels=40_000_000, max_memory=10 * MB, work_pixels=0)
    with im:
        assert small.load().shape == (2000, 2000)  # libjpeg's 1/2 scale, as grey
    assert small.memory <= 10 * MB < full.memory


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(orientation: int) -> None:
    pixels = np.random.default_rng(orientation).integers(0, 256, (30, 50), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = save(Image.fromarray(pixels), "JPEG", quality=100, exif=exif.tobytes())
    im, how = decode_image.plan(data, max_pixels=10**6, max_memory=64 * MB, work_pixels=0)
    with im:
        ours = how.load()
    with Image.open(io.BytesIO(data)) as ref:
        expected = np.asarray(ImageOps.exif_transpose(ref).convert("L"))
    assert np.array_equal(ours, expected)


def test_animations_are_read_from_their_first_frame() -> None:
    frames = animated_gif(800, 600, 500)
    im, how = decode_image.plan(frames, max_pixels=10**7, max_memory=256 * MB, work_pixels=0)
    with im:
        assert how.load().shape == (600, 800)
    assert decode_image_bytes(apng(700, 500, 400), **LIMITS) == []


def test_a_code_in_a_transparent_palette_png_is_read() -> None:
    sym = Image.fromarray(qr()).convert("P")
    data = save(sym, transparency=255)  # the white paper index is transparent
    assert [b.text for b in decode_image_bytes(data, **LIMITS)] == [URL]


def test_a_tiny_code_in_a_large_photo_is_read_from_its_original_pixels() -> None:
    """The photo is searched at 2500 px, where a code of 3 px modules is too small to read;
    the region around it is read again at full resolution, and positions are full-size."""
    sym = qr(module=3)
    page = np.full((6000, 6000), 230, np.uint8)
    page[2000 : 2000 + sym.shape[0], 4000 : 4000 + sym.shape[1]] = sym
    # No deadline (as above): whether the region is reached is not a question of time here.
    (found,) = decode_image_bytes(save(Image.fromarray(page)), **LIMITS, seconds=None)
    assert (found.text, found.engine) == (URL, "zxing-fullres")
    assert abs(found.position[0][0] - 4012) <= 4 and abs(found.position[0][1] - 2012) <= 4

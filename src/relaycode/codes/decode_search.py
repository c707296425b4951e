"""Find every symbol in a grey image: one full pass, then a cascade over what is left.

1. zxing-cpp reads the whole image (at most ``WORK_MAX_SIDE`` pixels long: a 6000 px photo
   is read at 2500, where its symbols still have modules of several pixels).
2. Every symbol found is blanked out, so later passes can only find new ones, and the
   cascade (decode_cascade.py) runs over what is left: on the whole image while nothing
   has been found, and once something has, on the regions that still look like a symbol
   (edge-dense blobs, and where zxing-cpp saw a symbol it could not read), with a work
   allowance proportional to the image so that a cluttered photo does not cost seconds.
3. For a photo shrunk in step 1, the candidate regions are read again at full resolution.

Every pass checks a deadline (``seconds``): an API caller gets an answer in bounded time.
Results are every symbol, with its position; one physical symbol found by two passes
(same text, one's centre inside the other) is reported once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from relaycode.codes.decode_cascade import (
    DecodedBarcode,
    Gray,
    Quad,
    Variant,
    resize,
    scaling,
    stages,
    then,
    wechat_pass,
    zxing_pass,
)

_log = logging.getLogger(__name__)
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in work-image pixels
Affine = npt.NDArray[np.float64]

WORK_MAX_SIDE = 2500
DEFAULT_SECONDS = 1.5
_CASCADE_MAX_SIDE = 1600  # whole-image cascade stages: modules are big enough there
_ANALYSIS_SIDE = 256  # where candidate regions are looked for
# The cascade's work allowance, in pixels read, as a multiple of the image's pixels: with
# nothing found yet, and once something is (the rest is then searched in regions only).
# Measured on bench/decode.py: the first stages find most of what the cascade finds, and
# these keep the median within 2x and the p90 within 3x of plain zxing-cpp.
_ALLOWANCE = 3.0
_FOLLOW_UP = 0.35
_FOLLOW_UP_MIN = 120_000  # a small image still gets a retry or two of what is left
_PER_READ = 50_000  # zxing-cpp's cost of a read, whatever its size, in pixels' worth
_WECHAT_COST = 6.0  # OpenCV's WeChat reader costs about six zxing-cpp reads a pixel
_FULL_RES_TILE = 4_000_000  # larger regions are not small codes
_MAX_REGIONS = 24
_MIN_CONTRAST = 10  # grey levels between a code's dark and light modules, at the least
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


@dataclass
class _Search:
    full: Gray
    work: Gray  # a copy, blanked where symbols were found
    back: Affine  # work pixel -> full pixel
    deadline: float
    effort: float
    found: list[DecodedBarcode] = field(default_factory=list)
    suspects: list[Quad] = field(default_factory=list)  # full-image pixels
    allowance: float = 0.0  # pixels the cascade may still process (see _ALLOWANCE)

    def expired(self) -> bool:
        return self.allowance <= 0 or time.monotonic() >= self.deadline

    def add(self, hits: Iterable[DecodedBarcode]) -> None:
        """Record new symbols and blank them out of ``work``."""
        for hit in hits:
            if any(_same_symbol(hit, f) for f in self.found):
                continue
            if not self.found:  # from now on only what is left is searched
                follow_up = self.effort * (_FOLLOW_UP * self.work.size + _FOLLOW_UP_MIN)
                self.allowance = min(self.allowance, follow_up)
            self.found.append(hit)
            _blank(self.work, _to_work(self.back, _footprint(hit)))

    def _charge(self, pixels: float) -> bool:
        """Take ``pixels`` from the allowance if they fit (a stage too big is skipped)."""
        if pixels > self.allowance:
            return False
        self.allowance -= pixels
        return True

    def run(self, stage: Callable[[], Variant] | None, image: Gray, back: Affine) -> None:
        """One cascade stage (``None``: the WeChat reader), charged for the pixels it reads;
        a stage that fails on an odd shape is skipped, never a 500."""
        try:
            if stage is None:
                if self._charge(_WECHAT_COST * image.size + _PER_READ):
                    self.add(wechat_pass(image, back))
                return
            variant = stage()
            if self._charge(variant.image.size + _PER_READ):
                self.add(zxing_pass(variant))
        except (cv2.error, RuntimeError, ValueError):
            _log.warning("decode stage failed on a %s image", image.shape, exc_info=True)


def decode_gray(
    full: Gray, *, seconds: float | None = DEFAULT_SECONDS, effort: float = 1.0
) -> list[DecodedBarcode]:
    """Every symbol in an 8-bit grey image, searched for at most ``seconds`` (None: no
    limit); ``effort`` scales the work the cascade may do (``inf``: every stage)."""
    deadline = time.monotonic() + (seconds if seconds is not None else float("inf"))
    work, back = full, scaling(1.0)
    if max(full.shape) > WORK_MAX_SIDE:
        work, back = resize(full, WORK_MAX_SIDE / max(full.shape))
    search = _Search(full, np.array(work, copy=True), back, deadline, effort)
    search.allowance = effort * _ALLOWANCE * min(work.size, _CASCADE_MAX_SIDE**2)
    search.add(zxing_pass(Variant(work, back, "zxing"), search.suspects))
    if not search.found:
        _whole_image_cascade(search)
    if search.expired():
        return search.found
    regions = _regions(search)
    _full_resolution(search, regions)
    if search.found:  # else the whole image has had the cascade already
        _region_cascade(search, regions)
    return search.found


def _whole_image_cascade(search: _Search) -> None:
    image, back = search.work, search.back
    if max(image.shape) > _CASCADE_MAX_SIDE:
        image, shrink = resize(image, _CASCADE_MAX_SIDE / max(image.shape))
        back = then(shrink, back)
    for stage in [*stages(image, back), None]:
        if search.expired() or search.found:
            return  # once something is found, only the regions left are searched
        search.run(stage, image, back)


def _region_cascade(search: _Search, regions: list[Box]) -> None:
    """The cascade over each region left, cheapest stages first across all regions."""
    plans = []
    for x0, y0, x1, y1 in regions:
        crop = search.work[y0:y1, x0:x1]  # a view: later blanking shows through
        back = then(np.array([[1.0, 0.0, x0], [0.0, 1.0, y0]]), search.back)
        plans.append((crop, back, [*stages(crop, back), None]))
    for level in range(max((len(p[2]) for p in plans), default=0)):
        for crop, back, steps in plans:
            if search.expired():
                return
            if level < len(steps):
                search.run(steps[level], np.ascontiguousarray(crop), back)


def _full_resolution(search: _Search, regions: list[Box]) -> None:
    """Regions of a shrunk photo, read again from the original pixels (small codes)."""
    if search.work.shape == search.full.shape:
        return
    for box in regions:
        corners = np.array([[box[0], box[1]], [box[2], box[3]]], np.float64)
        (x0, y0), (x1, y1) = np.round(corners @ search.back[:, :2].T + search.back[:, 2])
        tile = np.ascontiguousarray(search.full[int(y0) : int(y1), int(x0) : int(x1)])
        if search.expired():
            return
        if 0 < tile.size <= _FULL_RES_TILE and search._charge(tile.size + _PER_READ):
            offset = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0]])
            search.add(zxing_pass(Variant(tile, offset, "zxing-fullres")))


# ---------------------------------------------------------------- regions and symbols


def _to_work(back: Affine, quad: Quad) -> Quad:
    """Full-image pixels to work-image pixels (``back`` is a scale, no rotation)."""
    out: Quad = (quad - back[:, 2]) / np.diag(back[:, :2])
    return out


def _footprint(hit: DecodedBarcode) -> Quad:
    """The area a symbol covers. zxing-cpp places a 1-D code on the scan lines that read
    it, often a thin strip, and may report two strips of one code: widen the strip across
    the bars to 80 % of the code's length (taller than most printed bars)."""
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


def _same_symbol(a: DecodedBarcode, b: DecodedBarcode) -> bool:
    """One physical symbol read twice: the same text, and one's centre within the other."""
    if a.text != b.text or a.symbology != b.symbology:
        return False
    qa, qb = _footprint(a).astype(np.float32), _footprint(b).astype(np.float32)
    ca, cb = qa.mean(axis=0), qb.mean(axis=0)
    return bool(
        cv2.pointPolygonTest(qb.reshape(-1, 1, 2), (float(ca[0]), float(ca[1])), False) >= 0
        or cv2.pointPolygonTest(qa.reshape(-1, 1, 2), (float(cb[0]), float(cb[1])), False) >= 0
    )


def _grown(quad: Quad, factor: float) -> Quad:
    centre = quad.mean(axis=0)
    out: Quad = centre + (quad - centre) * factor
    return out


def _blank(image: Gray, quad: Quad) -> None:
    """Paint a found symbol (and its quiet zone) in the paper's shade: nothing left to read."""
    h, w = image.shape
    big = _grown(quad, 1.2)
    x0, y0 = np.clip(big.min(axis=0).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(big.max(axis=0).astype(int) + 1, 1, [w, h])
    ring = np.concatenate(
        [image[y0, x0:x1], image[y1 - 1, x0:x1], image[y0:y1, x0], image[y0:y1, x1 - 1]]
    )
    shade = int(np.median(ring)) if ring.size else 255
    cv2.fillConvexPoly(image, np.round(big).astype(np.int32), shade)


def _regions(search: _Search) -> list[Box]:
    """Where a symbol may still be: edge-dense blobs of the blanked image, and suspects."""
    work = search.work
    h, w = work.shape
    f = min(1.0, _ANALYSIS_SIDE / max(h, w))
    small = cv2.resize(
        work, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA
    )
    small = cv2.blur(small, (3, 3)) if f == 1 else small  # resizing averaged it already
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    spread = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((7, 7), np.uint8))
    # Strong edges for their neighbourhood (a faint code on grey paper counts), above the
    # noise of the paper (most of an image is flat: the median edge is noise).
    counts = np.cumsum(np.bincount(grad.ravel(), minlength=256))
    median = int(np.searchsorted(counts, counts[-1] // 2))
    floor = max(_MIN_CONTRAST, 3 * median)
    edges = ((5 * grad.astype(np.uint16) >= 2 * spread) & (spread >= floor)).astype(np.uint8)
    for hit in search.found:  # the rims of blanked symbols are not candidates
        quad = _to_work(search.back, _footprint(hit))
        cv2.fillConvexPoly(edges, np.round(_grown(quad, 1.35) * f).astype(np.int32), 0)
    # Symbols are dense in edges both ways; an object's outline or a line of text less so.
    density = cv2.boxFilter(edges.astype(np.float32), -1, (11, 11))
    blobs = cv2.morphologyEx((density >= 0.4).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(blobs)
    boxes: list[tuple[int, Box]] = []
    for x, y, bw, bh, area in stats[1:count]:
        # Too small to be read, or cut by the edge of the picture (unreadable too).
        inside = x > 0 and y > 0 and x + bw < blobs.shape[1] and y + bh < blobs.shape[0]
        if inside and min(bw, bh) >= 6 and area >= 0.4 * bw * bh:
            boxes.append((int(area), _box(x / f, y / f, (x + bw) / f, (y + bh) / f, w, h)))
    for quad in search.suspects:
        q = _to_work(search.back, quad)
        (x0, y0), (x1, y1) = q.min(axis=0), q.max(axis=0)
        boxes.append((w * h, _box(x0, y0, x1, y1, w, h)))
    boxes.sort(key=lambda item: -item[0])
    return _merged([b for _, b in boxes[:_MAX_REGIONS]])


def _box(x0: float, y0: float, x1: float, y1: float, w: int, h: int) -> Box:
    """A region with a margin for quiet zones, inside the image."""
    margin = 0.25 * max(x1 - x0, y1 - y0) + 12
    return (
        int(max(0, x0 - margin)),
        int(max(0, y0 - margin)),
        int(min(w, x1 + margin)),
        int(min(h, y1 + margin)),
    )


def _merged(boxes: list[Box]) -> list[Box]:
    """Overlapping regions as one, so no pixel is searched twice per stage."""
    out = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    out[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del out[j]
                    changed = True
                    break
            if changed:
                break
    return out

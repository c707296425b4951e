"""Find every symbol in a grey image: one full pass, then a cascade over what is left.

1. zxing-cpp reads the whole image (at most ``WORK_MAX_SIDE`` pixels long: a 6000 px photo
   is read at 2500, where its symbols still have modules of several pixels).
2. Every symbol found is blanked out, so later passes can only find new ones, and the
   cascade (decode_cascade.py) runs over what is left: on the whole image while nothing
   has been found, and once something has, on the regions that still look like a symbol
   (edge-dense blobs of a plausible size), with a work allowance proportional to the
   image, so that the search costs a bounded multiple of the first pass.
3. For a photo shrunk in step 1, the candidate regions are read again at full resolution.

Every pass checks a deadline (``seconds``): an API caller gets an answer in bounded time.
Results are every symbol, with its position; one physical symbol found by two passes is
reported once (decode_symbols.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from relaycode.codes.decode_cascade import (
    DecodedBarcode,
    Gray,
    Quad,
    Stage,
    Variant,
    resize,
    scaling,
    stages,
    then,
    wechat_pass,
    zxing_pass,
)
from relaycode.codes.decode_symbols import blank, footprint, grown, same_symbol

_log = logging.getLogger(__name__)
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in work-image pixels
Affine = npt.NDArray[np.float64]

WORK_MAX_SIDE = 2500
DEFAULT_SECONDS = 1.5
_CASCADE_MAX_SIDE = 1600  # whole-image cascade stages: modules are big enough there
_ANALYSIS_SIDE = 256  # where candidate regions are looked for (at most, long side)
_ANALYSIS_SIDE_SMALL = 160  # for images of up to 800 px: their symbols are larger
_ANALYSIS_SIDE_LARGE = 500  # for photos shrunk to be read: small codes must still show
# The cascade's work allowance, in pixels read, as a multiple of the image's pixels: with
# nothing found yet, and once something is (the rest is then searched in regions only).
# Measured on bench/decode.py: the first stages find most of what the cascade finds, and
# these keep the median within 2x and the p90 within 3x of plain zxing-cpp.
_ALLOWANCE = 3.0
_FOLLOW_UP = 0.35
_FOLLOW_UP_MIN = 60_000  # a small image still gets a retry of what is left
_PER_READ = 20_000
_STAGE_COST = 0.6  # a cascade read (no pyramid) costs about 0.6 of the first, a pixel
_WECHAT_COST = 6.0  # OpenCV's WeChat reader costs about six zxing-cpp reads a pixel
_FULL_RES_TILE = 4_000_000  # larger regions are not small codes
_MAX_REGIONS = 24
_REGION_VS_FOUND = 16.0  # area: symbols on one sheet differ up to 4x in side
_MIN_CONTRAST = 10  # grey levels between a code's dark and light modules, at the least


@dataclass
class _Search:
    full: Gray
    work: Gray  # a copy, blanked where symbols were found
    back: Affine  # work pixel -> full pixel
    deadline: float
    effort: float
    found: list[DecodedBarcode] = field(default_factory=list)
    allowance: float = 0.0  # pixels the cascade may still process (see _ALLOWANCE)

    def expired(self) -> bool:
        return self.allowance <= 0 or time.monotonic() >= self.deadline

    def add(self, hits: Iterable[DecodedBarcode]) -> None:
        """Record new symbols and blank them out of ``work``."""
        for hit in hits:
            if any(same_symbol(hit, f, self.full) for f in self.found):
                continue
            if not self.found:  # from now on only what is left is searched
                follow_up = self.effort * (_FOLLOW_UP * self.work.size + _FOLLOW_UP_MIN)
                self.allowance = min(self.allowance, follow_up)
            self.found.append(hit)
            blank(self.work, _to_work(self.back, footprint(hit)))

    def _charge(self, pixels: float) -> bool:
        """Take ``pixels`` from the allowance if they fit (a stage too big is skipped)."""
        if pixels > self.allowance:
            return False
        self.allowance -= pixels
        return True

    def run(self, stage: Stage | None, image: Gray, back: Affine) -> None:
        """One cascade stage (``None``: the WeChat reader) if the allowance has room for the
        pixels it reads; a stage that fails on an odd shape is skipped, never a 500."""
        try:
            if stage is None:
                if self._charge(_WECHAT_COST * image.size + _PER_READ):
                    self.add(wechat_pass(image, back))
                return
            scale, build = stage
            if self._charge(_STAGE_COST * scale * image.size + _PER_READ):
                self.add(zxing_pass(build()))
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
    search.add(zxing_pass(Variant(work, back, "zxing")))
    shrunk = work.shape != full.shape
    regions = _regions(search) if search.found or shrunk else []
    if shrunk:  # small codes in a large photo: first, the original pixels around them
        _full_resolution(search, regions)
    if not search.found:
        _whole_image_cascade(search)
        if search.found and not search.expired():  # found late: look at what is left
            regions = _regions(search)
    if search.found and not search.expired():
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


def _regions(search: _Search) -> list[Box]:
    """Where a symbol may still be: edge-dense blobs of the blanked image."""
    work = search.work
    h, w = work.shape
    # An integer factor, on a crop of whole blocks: OpenCV's fast path for area averaging
    # (any other factor took milliseconds, more than the rest of this function).
    side = _ANALYSIS_SIDE if max(h, w) > 800 else _ANALYSIS_SIDE_SMALL
    if search.full.shape != work.shape:  # a shrunk photo: its small codes are tiny here
        side = _ANALYSIS_SIDE_LARGE
    k = max(1, min(-(-max(h, w) // side), min(h, w)))
    f = 1.0 / k
    if k == 1:
        small = cv2.blur(work, (3, 3))
    else:
        small = cv2.resize(
            work[: h - h % k, : w - w % k], (w // k, h // k), interpolation=cv2.INTER_AREA
        )
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    spread = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((7, 7), np.uint8))
    # Strong edges for their neighbourhood (a faint code on grey paper counts), above the
    # noise of the paper (most of an image is flat: the median edge is noise).
    sample = grad[::3, ::3].ravel()  # the median edge, from a ninth of them
    median = int(np.partition(sample, sample.size // 2)[sample.size // 2]) if sample.size else 0
    floor = max(_MIN_CONTRAST, 3 * median)
    edges = ((5 * grad.astype(np.uint16) >= 2 * spread) & (spread >= floor)).astype(np.uint8)
    sizes = []  # the symbols found, in analysis pixels
    for hit in search.found:  # the rims of blanked symbols are not candidates
        quad = grown(_to_work(search.back, footprint(hit)), 1.35) * f
        cv2.fillConvexPoly(edges, np.round(quad).astype(np.int32), 0)
        sizes.append(float(np.prod(quad.max(axis=0) - quad.min(axis=0))))
    smallest, largest = min(sizes, default=0.0), max(sizes, default=0.0)
    # Symbols are dense in edges both ways; an object's outline or a line of text less so.
    density = cv2.boxFilter(edges.astype(np.float32), -1, (11, 11))
    blobs = cv2.morphologyEx((density >= 0.4).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5)))
    contours, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[tuple[int, Box]] = []
    for contour in contours:
        x, y, bw, bh = cv2.boundingRect(contour)
        area = cv2.contourArea(contour)
        # Next to symbols already found, what is left is of their kind: a blob much larger
        # or smaller is the texture or print of a photograph, not a symbol.
        plausible = (
            not sizes or smallest / _REGION_VS_FOUND <= bw * bh <= _REGION_VS_FOUND * largest
        )
        if (
            plausible
            and min(bw, bh) >= 5
            and area >= 0.4 * bw * bh
            and not _cut_by_the_edge(edges, x, y, bw, bh)
        ):
            boxes.append((int(area), _box(x / f, y / f, (x + bw) / f, (y + bh) / f, w, h)))
    boxes.sort(key=lambda item: -item[0])
    return _merged([b for _, b in boxes[:_MAX_REGIONS]])


def _cut_by_the_edge(edges: Gray, x: int, y: int, bw: int, bh: int) -> bool:
    """Does the blob's texture reach the border? A symbol cut by it cannot be read (and the
    clutter at a photo's edges is the commonest blob)."""
    h, w = edges.shape
    return bool(
        (x == 0 and edges[y : y + bh, 0].any())
        or (y == 0 and edges[0, x : x + bw].any())
        or (x + bw >= w and edges[y : y + bh, w - 1].any())
        or (y + bh >= h and edges[h - 1, x : x + bw].any())
    )


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

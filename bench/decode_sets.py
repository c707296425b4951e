"""Image sets for bench/decode.py: the labelled photographs and a seeded synthetic set."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import segno
import zxingcpp
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
# The shared datasets sit next to the main checkout; a worktree is one level deeper.
DEFAULT_DATASET = next(
    (
        p / "shared" / "datasets" / "zxing-blackbox"
        for p in (REPO.parent, REPO.parent.parent)
        if (p / "shared" / "datasets" / "zxing-blackbox").is_dir()
    ),
    REPO.parent / "shared" / "datasets" / "zxing-blackbox",
)
IMAGE_EXTS = (".png", ".jpg", ".gif")
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CATEGORIES = (
    "clean",
    "blur",
    "perspective",
    "noise",
    "low_contrast",
    "jpeg",
    "rotation",
    "small_modules",
)
# multi-qrcode-1/1.png has no .txt: its four texts, as in ZXing's MultiQRCodeTestCase.
MULTI_QR = (
    "You earned the class 5 EXTRA MINUTES OF RECESS!!  Fabulous!!  Way to go!!",
    "You earned the class a 5 MINUTE DANCE PARTY!!  Awesome!  Way to go!  Let's boogie!",
    "You get to CREATE OUR JOURNAL PROMPT FOR THE DAY!  Yay!  Way to go!  ",
    "You get to SIT AT MRS. SIGMON'S DESK FOR A DAY!!  Awesome!!  Way to go!! Guess I better "
    "clean up! :)",
)
# Real second symbols visible in some photographs: neither a success nor a false positive.
SECOND_CODES = {
    "ean13-2": {"1920081045006"},  # Japanese book price code under the ISBN
    "qrcode-2": {"[内側QRコード]\r\n\r\n*ダブルQR*\r\nhttp://d-qr.net/ex/"},  # QR inside a QR
}


@dataclass
class Sample:
    category: str
    name: str
    gray: np.ndarray
    expected: tuple[str, ...]  # one text per symbol, repeats included; empty: no barcode
    tolerated: frozenset[str] = frozenset()


# ---------------------------------------------------------------- matching


def upce_to_ean13(code: str) -> str | None:
    """Expand an 8-digit UPC-E to the 13-digit EAN form decoders may report instead."""
    if len(code) != 8 or not code.isdigit():
        return None
    ns, d, check = code[0], code[1:7], code[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return "0" + ns + body + check


def same(expected: str, got: str) -> bool:
    if got == expected:
        return True
    if len(expected) == 12 and expected.isdigit() and got == "0" + expected:
        return True  # UPC-A reported as EAN-13
    return upce_to_ean13(expected) == got


@dataclass
class Verdict:
    found: int  # expected symbols reported (each expected symbol counts once)
    wrong: int  # texts reported that are in no expected symbol: false positives
    extra: int  # an expected text reported more often than it is in the picture


def judge(sample: Sample, texts: list[str]) -> Verdict:
    """Match one decoder's texts to the symbols expected in one sample, one to one."""
    remaining = list(sample.expected)
    found = wrong = extra = 0
    for text in texts:
        hit = next((i for i, w in enumerate(remaining) if same(w, text)), None)
        if hit is not None:
            del remaining[hit]
            found += 1
        elif any(same(w, text) for w in sample.expected):
            extra += 1
        elif text not in sample.tolerated:
            wrong += 1
    return Verdict(found, wrong, extra)


# ---------------------------------------------------------------- dataset


def to_gray(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        im.load()
        if im.mode in ("RGBA", "LA", "P", "PA"):
            rgba = im.convert("RGBA")
            bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            bg.alpha_composite(rgba)
            return np.asarray(bg.convert("L"))
        return np.asarray(im.convert("L"))


def dataset_samples(root: Path, per_folder: int | None) -> Iterator[Sample]:
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS)
        if per_folder is not None:
            images = images[:per_folder]
        for path in images:
            txt = path.with_suffix(".txt")
            if folder.name.startswith("falsepositives"):
                expected: tuple[str, ...] = ()
            elif folder.name == "multi-qrcode-1":
                expected = MULTI_QR
            elif txt.exists():
                expected = (txt.read_bytes().decode("utf-8"),)
            else:
                continue  # NAME.bin: binary payloads, not comparable as text
            tolerated = frozenset(SECOND_CODES.get(folder.name, ()))
            yield Sample(folder.name, path.name, to_gray(path), expected, tolerated)


# ---------------------------------------------------------------- synthetic


def random_text(rng: np.random.Generator, kind: str) -> str:
    if kind == "url":
        return "HTTP://127.0.0.1:8000/C/" + "".join(rng.choice(list(B32), 42))
    if kind == "digits12":
        body = "".join(str(d) for d in rng.integers(0, 10, 12))
        total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
        return body + str((10 - total % 10) % 10)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -./:"
    n = int(rng.integers(6, 20)) if kind == "short" else int(rng.integers(10, 60))
    return "".join(rng.choice(list(alphabet), n)).strip() or "X"


def render(rng: np.random.Generator, module: int) -> tuple[np.ndarray, str]:
    """A black-on-white symbol with quiet zone, modules of ``module`` pixels."""
    pick = float(rng.random())
    if pick < 0.5:
        text = random_text(rng, "url" if rng.random() < 0.6 else "long")
        qr = segno.make(text, error="m")
        m = np.array([list(r) for r in qr.matrix_iter(scale=1, border=4)], dtype=bool)
        dots = np.where(m, 0, 255).astype(np.uint8)
        return np.kron(dots, np.ones((module, module), np.uint8)), text
    table = (
        (0.6, zxingcpp.BarcodeFormat.Code128, "short"),
        (0.7, zxingcpp.BarcodeFormat.DataMatrix, "long"),
        (0.8, zxingcpp.BarcodeFormat.PDF417, "long"),
        (0.9, zxingcpp.BarcodeFormat.Aztec, "long"),
        (1.1, zxingcpp.BarcodeFormat.EAN13, "digits12"),
    )
    fmt, kind = next((f, k) for limit, f, k in table if pick < limit)
    text = random_text(rng, kind)
    code = zxingcpp.create_barcode(text, fmt)
    img = np.asarray(code.to_image(scale=module))
    if fmt in (zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.EAN13):
        img = np.asarray(
            cv2.resize(
                img,
                (img.shape[1], max(img.shape[0], img.shape[1] // 3)),
                interpolation=cv2.INTER_NEAREST,
            )
        )
    return np.ascontiguousarray(img), code.text


def place(rng: np.random.Generator, sym: np.ndarray, ink: int, paper: int) -> np.ndarray:
    h, w = sym.shape
    top, bottom, left, right = (int(v) for v in rng.integers(16, 96, 4))
    canvas = np.full((h + top + bottom, w + left + right), paper, np.float32)
    canvas[top : top + h, left : left + w] = np.where(sym < 128, ink, paper)
    return canvas


def distort(rng: np.random.Generator, category: str) -> tuple[np.ndarray, str]:
    module = int(rng.integers(3, 7))
    sym, text = render(rng, module)
    ink, paper = int(rng.integers(0, 50)), int(rng.integers(200, 256))
    if category == "low_contrast":
        paper = int(rng.integers(110, 220))
        ink = paper - int(rng.integers(18, 40))
    img = place(rng, sym, ink, paper)
    h, w = img.shape
    if category == "low_contrast":  # uneven light as well
        ramp = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :] * float(rng.uniform(10, 30))
        img = img + ramp
    elif category == "blur":
        img = cv2.GaussianBlur(img, (0, 0), module * float(rng.uniform(0.3, 0.75)))
    elif category == "noise":
        img = img + rng.normal(0.0, float(rng.uniform(25, 85)), img.shape).astype(np.float32)
    elif category == "perspective":
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        jitter = rng.uniform(-0.22, 0.22, (4, 2)) * np.array([w, h])
        jitter = jitter.astype(np.float32)
        matrix = cv2.getPerspectiveTransform(src, src + jitter)
        img = cv2.warpPerspective(img, matrix, (w, h), borderValue=float(paper))
    elif category == "rotation":
        angle = float(rng.uniform(0, 360))
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        side = int(np.hypot(w, h))
        matrix[:, 2] += ((side - w) / 2, (side - h) / 2)
        img = cv2.warpAffine(img, matrix, (side, side), borderValue=float(paper))
    elif category == "small_modules":
        f = float(rng.uniform(1.0, 1.8)) / module
        img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if category == "jpeg":
        f = float(rng.uniform(0.5, 0.8))
        out = cv2.resize(out, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        q = int(rng.integers(4, 15))
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
        out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else out
    return np.ascontiguousarray(out), text


def synthetic_samples(per_category: int, seed: int) -> Iterator[Sample]:
    for ci, category in enumerate(CATEGORIES):
        rng = np.random.default_rng([seed, ci])
        for i in range(per_category):
            gray, text = distort(rng, category)
            yield Sample(category, f"{category}-{i}", gray, (text,))


# ---------------------------------------------------------------- running

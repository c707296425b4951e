"""The texts of formats 3 and 4: ``CR1:``/``CR4:`` + base45, or an upper-case link.

Syntax only (no keys): a text becomes its format, form, host and bytes, or
``CredentialTokenError("malformed")``. Bounded: a text longer than ``MAX_TEXT`` is refused
before anything is decoded.

The links use BASE32 (RFC 4648, upper case, no padding), like formats 1 and 2, not base45:
base45's space, ``%`` and ``/`` would be rewritten by a browser (``%20``, percent escapes,
``/./`` segments collapsed), so a base45 link would not survive being opened. Both
alphabets stay in QR alphanumeric mode.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Literal

import base45

from relaycode.codes.credential_claims import malformed

__all__ = ["MAX_TEXT", "Decoded", "decode_text", "rotating_text", "signed_text"]

MAX_TEXT = 1200  # the largest valid text (a /P/ link, 64-character host) is ~520
MAX_BYTES = 512
SIGNED_PREFIX, ROTATING_PREFIX = "CR1:", "CR4:"
Form = Literal["cr1", "url"]
_LINK = re.compile(
    r"(HTTPS?)://([A-Z0-9.-]+(?::[1-9][0-9]{0,4})?)/([VP])/([A-Z2-7]+)/?", re.ASCII | re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Decoded:
    format: int  # 3 (signed credential) or 4 (rotating presentation)
    form: str  # "cr1", "cr4", "url"
    host: str | None  # upper case, for the link forms
    raw: bytes


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _link(raw: bytes, path: str, host: str | None, scheme: str) -> str:
    if not host:
        raise ValueError("a link needs the instance's host")
    return f"{scheme.upper()}://{host.upper()}/{path}/{_b32(raw)}"


def signed_text(
    raw: bytes, form: Form = "cr1", *, host: str | None = None, scheme: str = "HTTPS"
) -> str:
    """Format 3 as text: ``CR1:`` + base45 (our scanner), or ``SCHEME://HOST/V/`` + BASE32
    (a phone camera opens it)."""
    if form == "cr1":
        return SIGNED_PREFIX + _b45(raw)
    return _link(raw, "V", host, scheme)


RotatingForm = Literal["cr4", "url"]


def _b45(raw: bytes) -> str:
    text: bytes = base45.b45encode(raw)
    return text.decode("ascii")


def rotating_text(
    raw: bytes, form: RotatingForm = "cr4", *, host: str | None = None, scheme: str = "HTTPS"
) -> str:
    """Format 4 as text: ``CR4:`` + base45 (within QR version 12 at M), or the larger
    ``SCHEME://HOST/P/`` + BASE32 link."""
    if form == "cr4":
        return ROTATING_PREFIX + _b45(raw)
    return _link(raw, "P", host, scheme)


_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
# Byte -> its base45 digit, 255 for every byte that is none (lower case included).
_B45_DIGITS = bytes(_B45.index(chr(b)) if chr(b) in _B45 else 255 for b in range(256))


def b45decode(body: str) -> bytes:
    """RFC 9285 base45, as strict as the ``base45`` package (ValueError where it raises),
    ~3x faster with no Python loop: the digits come from one ``bytes.translate``; the
    first, second and third digits of every group go into 24-bit slots of three big
    integers, so ``a + 45*b + 2025*c`` computes every group at once without carries
    (at most 91,124 < 2**24); a group above 65535 shows as a non-zero top byte.
    tests/codes/test_base45_fast.py checks it against the package on random input."""
    try:
        digits = body.encode("ascii").translate(_B45_DIGITS)
    except UnicodeEncodeError:
        raise ValueError("not base45") from None
    n = len(digits)
    if b"\xff" in digits or n % 3 == 1:
        raise ValueError("not base45")
    k = n // 3
    slots = bytearray(3 * k)
    slots[2::3] = digits[0 : 3 * k : 3]
    a = int.from_bytes(slots, "big")
    slots[2::3] = digits[1 : 3 * k : 3]
    b = int.from_bytes(slots, "big")
    slots[2::3] = digits[2 : 3 * k : 3]
    c = int.from_bytes(slots, "big")
    groups = (a + 45 * b + 2025 * c).to_bytes(3 * k, "big")
    if groups[0::3].strip(b"\0"):
        raise ValueError("not base45")
    out = bytearray(2 * k)
    out[0::2] = groups[1::3]
    out[1::2] = groups[2::3]
    if n % 3:
        last = digits[-2] + 45 * digits[-1]
        if last > 0xFF:
            raise ValueError("not base45")
        out.append(last)
    return bytes(out)


def _unb45(body: str) -> bytes:
    # One spelling per code: digit groups above 65535 (or 255) and a dangling character
    # are refused, which is all that base45 could spell twice; the trailing newline the
    # package would drop is refused too (``decode_text`` stripped the text already).
    if body.endswith("\n"):
        raise malformed("not base45")
    try:
        return b45decode(body)
    except ValueError:
        raise malformed("not base45") from None


def _unb32(body: str) -> bytes:
    upper = body.upper()
    try:
        raw = base64.b32decode(upper + "=" * (-len(upper) % 8))
    except (binascii.Error, ValueError):
        raise malformed("not base32") from None
    if _b32(raw) != upper:
        raise malformed("not canonical base32")
    return raw


def decode_text(text: str) -> Decoded:
    """Split a scanned text into format, form, host and bytes (no verification)."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise malformed(f"a credential text is at most {MAX_TEXT} characters")
    text = text.strip()
    head = text[:4].upper()
    if head in (SIGNED_PREFIX, ROTATING_PREFIX):
        raw = _unb45(text[4:])
        decoded = Decoded(3 if head == SIGNED_PREFIX else 4, head[:3].lower(), None, raw)
    else:
        link = _LINK.fullmatch(text)
        if link is None:
            raise malformed("not a credential text")
        fmt = 3 if link.group(3).upper() == "V" else 4
        decoded = Decoded(fmt, "url", link.group(2).upper(), _unb32(link.group(4)))
    if not decoded.raw or len(decoded.raw) > MAX_BYTES:
        raise malformed(f"a credential is 1 to {MAX_BYTES} bytes")
    return decoded


def decode_body(body: str, path: str, host: str) -> Decoded:
    """The BASE32 body of a ``/V/`` or ``/P/`` link whose host the caller has checked."""
    if len(body) > MAX_TEXT:
        raise malformed(f"a credential text is at most {MAX_TEXT} characters")
    raw = _unb32(body.rstrip("/"))
    if not raw or len(raw) > MAX_BYTES:
        raise malformed(f"a credential is 1 to {MAX_BYTES} bytes")
    return Decoded(3 if path.upper() == "V" else 4, "url", host.upper(), raw)

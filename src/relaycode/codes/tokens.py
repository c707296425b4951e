"""Online reference code, format version 1 (see docs/code-format.md).

    bytes  = version(1) ‖ kid(1) ‖ id(16) ‖ tag(8)            26 bytes
    tag    = HMAC-SHA256(key[kid], "rc/C" ‖ version ‖ kid ‖ id)[:8]
    text   = SCHEME "://" HOST "/C/" BASE32(bytes)            42 chars, no padding

Everything is upper case so a QR encoder uses alphanumeric mode. The tag is checked
before any database work, so forgeries cost nothing but one HMAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

VERSION_ONLINE = 1
ID_BYTES = 16
TAG_BYTES = 8
TOKEN_BYTES = 2 + ID_BYTES + TAG_BYTES
TOKEN_CHARS = 42  # ceil(26 * 8 / 5)
_DOMAIN = b"rc/C"
_KEYED: dict[bytes, hmac.HMAC] = {}
_B32 = re.compile(r"[A-Z2-7]+")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648, value = index
_TO_INT_DIGITS = str.maketrans(_ALPHABET, "0123456789abcdefghijklmnopqrstuv")


class TokenError(Exception):
    """A token that is ours by shape but not acceptable; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OnlineToken:
    version: int
    kid: int
    code_id: bytes
    body: str = ""  # the canonical (upper-case) base32 text it was decoded from

    @property
    def code_hex(self) -> str:
        return self.code_id.hex()

    @property
    def path(self) -> str:
        """The path letter of this format's URLs (``/C/``; format 2 is ``/S/``)."""
        return "C"


def new_code_id() -> bytes:
    return secrets.token_bytes(ID_BYTES)


def _tag(secret: bytes, head: bytes) -> bytes:
    # A copy of an HMAC already keyed and fed the domain: no key schedule per scan. (Not
    # hmac.digest: that one-shot releases the GIL on every call, and under load getting it
    # back behind another thread costs far more than the HMAC itself.)
    base = _KEYED.get(secret)
    if base is None:
        if len(_KEYED) > 64:  # keys are few; never let a pathological caller grow this
            _KEYED.clear()
        base = _KEYED[secret] = hmac.new(secret, _DOMAIN, hashlib.sha256)
    h = base.copy()
    h.update(head)
    return h.digest()[:TAG_BYTES]


def encode_token(kid: int, secret: bytes, code_id: bytes) -> str:
    """The 42-character base32 body of a version-1 online code."""
    if not 0 <= kid <= 255:
        raise ValueError("kid must fit in one byte")
    if len(code_id) != ID_BYTES:
        raise ValueError("code id must be 16 bytes")
    head = bytes([VERSION_ONLINE, kid]) + code_id
    raw = head + _tag(secret, head)
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def decode_token(body: str, lookup_key: Callable[[int], bytes | None]) -> OnlineToken:
    """Verify a token body (case-insensitive); raise TokenError with a reason code."""
    text = body.strip().upper()
    if len(text) != TOKEN_CHARS or not _B32.fullmatch(text):
        raise TokenError("malformed", "not a 42-character base32 token")
    # One C-level conversion: base32 digits mapped onto int()'s base-32 alphabet (the
    # regex above has already refused anything else int() would accept, such as signs,
    # spaces, underscores or 0/1/8/9).
    n = int(text.translate(_TO_INT_DIGITS), 32)
    # 42 characters carry 210 bits for 208: the last character's 2 low bits are padding.
    # Reject non-canonical spellings (padding bits set): otherwise two different texts
    # would name the same code. Same rule as re-encoding and comparing, without the work.
    if n & 3:
        raise TokenError("malformed", "non-canonical base32")
    raw = (n >> 2).to_bytes(TOKEN_BYTES, "big")
    version, kid = raw[0], raw[1]
    if version != VERSION_ONLINE:
        raise TokenError("malformed", f"unsupported format version {version}")
    secret = lookup_key(kid)
    if secret is None:
        raise TokenError("unknown_key", f"key {kid} is not known or was retired")
    head, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(secret, head)):
        raise TokenError("bad_tag", "the code's tag does not verify")
    return OnlineToken(version=version, kid=kid, code_id=raw[2 : 2 + ID_BYTES], body=text)


def code_url(scheme: str, host: str, body: str, path: str = "C") -> str:
    """The full code text and hyperlink, e.g. ``HTTPS://RC.EXAMPLE/C/AE...`` (``path``
    "S" for a phone-made share, format 2)."""
    return f"{scheme.upper()}://{host.upper()}/{path}/{body}"


def code_path(text: str) -> str:
    """``/C/<BODY>`` (or ``/S/<BODY>``): a code text's path on this site."""
    head, _, body = text.rpartition("/")
    return f"/{head.rpartition('/')[2].upper()}/{body}"

"""Share code made on the phone, format version 2 (claim 5; docs/code-format.md §4).

    head   = version(1)=0x02 ‖ kid(1) ‖ parent(16) ‖ pid(8) ‖ counter(4)     30 bytes
    tag    = HMAC-SHA256(device_key, "rc/S" ‖ head)[:8]
    bytes  = head ‖ tag                                                   38 bytes
    text   = SCHEME "://" HOST "/S/" BASE32(bytes)                         61 chars

    device_key = HMAC-SHA256(key[kid], "rc/S/key" ‖ u64(device id))   (the share key)
    pid        = FEISTEL4(key[kid], u64(device id))                    (pseudonymous)
    code id    = SHA-256("rc/S/id" ‖ head)[:16]

The phone holds ``device_key`` (non-extractable, WebCrypto) and ``pid``, both handed to
it by the server, and makes children with no network. The server recomputes both from
the keyring alone (nothing stored per device): the pid is a keyed permutation of the
device's row id, so it decrypts back to the device, whose key then checks the tag —
before any database work, like format 1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

from relaycode.codes.tokens import TokenError

VERSION_SHARE = 2
PARENT_BYTES = 16
PID_BYTES = 8
COUNTER_BYTES = 4
TAG_BYTES = 8
HEAD_BYTES = 2 + PARENT_BYTES + PID_BYTES + COUNTER_BYTES  # 30
TOKEN_BYTES = HEAD_BYTES + TAG_BYTES  # 38
TOKEN_CHARS = 61  # ceil(38 * 8 / 5): 305 bits for 304, one padding bit
MAX_COUNTER = 2**32 - 1
_PAD_BITS = TOKEN_CHARS * 5 - TOKEN_BYTES * 8
_TAG_DOMAIN = b"rc/S"
_KEY_DOMAIN = b"rc/S/key"
_PID_DOMAIN = b"rc/S/pid"
_ID_DOMAIN = b"rc/S/id"
_ROUNDS = 4  # Luby-Rackoff: four rounds of a PRF make a strong pseudorandom permutation
_B32 = re.compile(r"[A-Z2-7]+")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_INT_DIGITS = str.maketrans(_ALPHABET, "0123456789abcdefghijklmnopqrstuv")


@dataclass(frozen=True, slots=True)
class ShareToken:
    """A verified format-2 token. ``code_id`` is derived from the head (no random id is
    carried): the same head always names the same code, however often it is resolved."""

    version: int
    kid: int
    code_id: bytes
    body: str
    parent_id: bytes
    device_id: int
    counter: int

    @property
    def code_hex(self) -> str:
        return self.code_id.hex()

    @property
    def parent_hex(self) -> str:
        return self.parent_id.hex()

    @property
    def path(self) -> str:
        return "S"


def device_share_key(master: bytes, device_id: int) -> bytes:
    """The device's share key, HMAC(master, device id): derived, never stored."""
    return hmac.new(master, _KEY_DOMAIN + device_id.to_bytes(8, "big"), hashlib.sha256).digest()


def _round(master: bytes, i: int, half: bytes) -> bytes:
    return hmac.new(master, _PID_DOMAIN + bytes([i]) + half, hashlib.sha256).digest()[:4]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def device_pid(master: bytes, device_id: int) -> bytes:
    """The device's pseudonymous id: a keyed permutation of its row id (64-bit Feistel)."""
    if not 0 <= device_id < 2**64:
        raise ValueError("device id out of range")
    x = device_id.to_bytes(PID_BYTES, "big")
    left, right = x[:4], x[4:]
    for i in range(_ROUNDS):
        left, right = right, _xor(left, _round(master, i, right))
    return left + right


def device_of_pid(master: bytes, pid: bytes) -> int:
    """The device row id a pid stands for (any 8 bytes decrypt to some id; the tag,
    made with that device's key, is what tells a real pid from an invented one)."""
    left, right = pid[:4], pid[4:]
    for i in reversed(range(_ROUNDS)):
        left, right = _xor(right, _round(master, i, left)), left
    return int.from_bytes(left + right, "big")


def share_code_id(head: bytes) -> bytes:
    return hashlib.sha256(_ID_DOMAIN + head).digest()[:16]


def _head(kid: int, parent_id: bytes, pid: bytes, counter: int) -> bytes:
    if not 0 <= kid <= 255:
        raise ValueError("kid must fit in one byte")
    if len(parent_id) != PARENT_BYTES or len(pid) != PID_BYTES:
        raise ValueError("parent id is 16 bytes, pid 8")
    if not 0 <= counter <= MAX_COUNTER:
        raise ValueError("counter must fit in four bytes")
    return bytes([VERSION_SHARE, kid]) + parent_id + pid + counter.to_bytes(COUNTER_BYTES, "big")


def _tag(device_key: bytes, head: bytes) -> bytes:
    return hmac.new(device_key, _TAG_DOMAIN + head, hashlib.sha256).digest()[:TAG_BYTES]


def make_share_body(kid: int, device_key: bytes, pid: bytes, parent_id: bytes, counter: int) -> str:
    """What the phone computes: the 61-character body, from the share key and pid alone."""
    head = _head(kid, parent_id, pid, counter)
    return base64.b32encode(head + _tag(device_key, head)).decode("ascii").rstrip("=")


def encode_share_token(
    kid: int, master: bytes, device_id: int, parent_id: bytes, counter: int
) -> str:
    """The server's way to the same body (a registered code's text, recomputed)."""
    return make_share_body(
        kid,
        device_share_key(master, device_id),
        device_pid(master, device_id),
        parent_id,
        counter,
    )


def decode_share_token(body: str, lookup_key: Callable[[int], bytes | None]) -> ShareToken:
    """Verify a format-2 body (case-insensitive); raise TokenError with a reason code."""
    text = body.strip().upper()
    if len(text) != TOKEN_CHARS or not _B32.fullmatch(text):
        raise TokenError("malformed", "not a 61-character base32 share token")
    n = int(text.translate(_TO_INT_DIGITS), 32)
    if n & ((1 << _PAD_BITS) - 1):
        raise TokenError("malformed", "non-canonical base32")
    raw = (n >> _PAD_BITS).to_bytes(TOKEN_BYTES, "big")
    version, kid = raw[0], raw[1]
    if version != VERSION_SHARE:
        raise TokenError("malformed", f"unsupported format version {version} for /S/")
    master = lookup_key(kid)
    if master is None:
        raise TokenError("unknown_key", f"key {kid} is not known or was retired")
    head, tag = raw[:HEAD_BYTES], raw[HEAD_BYTES:]
    parent = head[2 : 2 + PARENT_BYTES]
    pid = head[2 + PARENT_BYTES : 2 + PARENT_BYTES + PID_BYTES]
    device_id = device_of_pid(master, pid)
    if not hmac.compare_digest(tag, _tag(device_share_key(master, device_id), head)):
        raise TokenError("bad_tag", "the share code's tag does not verify")
    return ShareToken(
        version=version,
        kid=kid,
        code_id=share_code_id(head),
        body=text,
        parent_id=parent,
        device_id=device_id,
        counter=int.from_bytes(head[-COUNTER_BYTES:], "big"),
    )


def share_url(scheme: str, host: str, body: str) -> str:
    return f"{scheme.upper()}://{host.upper()}/S/{body}"

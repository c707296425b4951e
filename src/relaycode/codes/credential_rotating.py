"""Format 4, the rotating presentation: a signed credential, a 30-second window and a proof
of possession signed by the holder's device key (which never leaves the browser).

```
presentation = CBOR [credential: bstr, window_low: uint, device_key: bstr(32), proof: bstr(64)]
window       = floor(unix time / 30); window_low = window mod 65536
proof        = Ed25519(device key, "rc/P" ‖ SHA-256(credential) ‖ u32(window))
```

The credential's ``device_thumbprint`` claim (signed by the issuer) must be the thumbprint of
``device_key``; a verifier needs only the trust list and a clock. Only the low 16 bits of
the window travel (2 bytes fewer keep ``CR4:`` within QR version 12 at M): the verifier
takes the window nearest its own clock with those bits, and the proof covers the whole
window number, so a presentation 65536 windows old does not pass as a current one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from relaycode.codes import ed25519
from relaycode.codes.credential_claims import CredentialTokenError, device_thumbprint, malformed

__all__ = [
    "WINDOW_SECONDS",
    "Envelope",
    "check_proof",
    "make_presentation",
    "proof_message",
    "split_presentation",
    "window_at",
]

WINDOW_SECONDS = 30
WINDOW_SLACK = 1  # the current window ± 1 for clock skew; older is stale_presentation
_LOW = 1 << 16
_DOMAIN = b"rc/P"


@dataclass(frozen=True, slots=True)
class Envelope:
    credential: bytes
    window_low: int
    device_key: bytes
    proof: bytes


def window_at(now: int) -> int:
    return now // WINDOW_SECONDS


def proof_message(credential: bytes, window: int) -> bytes:
    if not 0 <= window < 2**32:
        raise ValueError("window out of range")
    return _DOMAIN + hashlib.sha256(credential).digest() + window.to_bytes(4, "big")


def make_presentation(credential: bytes, device: Ed25519PrivateKey, *, now: int) -> bytes:
    """The presentation bytes for the window of ``now`` (the browser does the same in
    static/presentation.js; this one serves the tests and the CLI)."""
    window = window_at(now)
    public = device.public_key().public_bytes_raw()
    proof = device.sign(proof_message(credential, window))
    return cbor2.dumps([credential, window % _LOW, public, proof])


def split_presentation(raw: bytes) -> Envelope:
    """The four parts, exactly as encoded (one spelling), or ``malformed``."""
    try:
        value: Any = cbor2.loads(raw)
        again = cbor2.dumps(value)
    except Exception:  # cbor2 raises several types for bad input; all mean malformed
        raise malformed("the presentation is not CBOR") from None
    if again != raw or not isinstance(value, list) or len(value) != 4:
        raise malformed("the presentation is not a four-item CBOR array")
    credential, low, key, proof = value
    if type(credential) is not bytes or type(key) is not bytes or type(proof) is not bytes:
        raise malformed("the presentation's parts have the wrong types")
    if type(low) is not int or not 0 <= low < _LOW:
        raise malformed("the window is not a 16-bit number")
    if len(key) != 32 or len(proof) != 64:
        raise malformed("the device key or proof has the wrong length")
    return Envelope(credential, low, key, proof)


def resolve_window(low: int, now: int) -> int:
    """The window with these low bits nearest to the window of ``now``."""
    current = window_at(now)
    delta = (low - current) % _LOW
    if delta >= _LOW // 2:
        delta -= _LOW
    return current + delta


def check_proof(envelope: Envelope, thumbprint: bytes | None, *, now: int) -> int:
    """The presentation's window, once its proof holds; else ``stale_presentation`` or
    ``bad_proof``."""
    window = resolve_window(envelope.window_low, now)
    if abs(window - window_at(now)) > WINDOW_SLACK:
        raise CredentialTokenError(
            "stale_presentation", "the presentation is from another time: ask for a fresh one"
        )
    if thumbprint is None:
        raise CredentialTokenError("bad_proof", "the credential is bound to no device")
    if device_thumbprint(envelope.device_key) != thumbprint:
        raise CredentialTokenError("bad_proof", "presented by another device than its holder's")
    try:
        public = ed25519.public_key(envelope.device_key)
    except ValueError:
        raise CredentialTokenError("bad_proof", "the device's key is not a key") from None
    if not ed25519.verifies(public, envelope.proof, proof_message(envelope.credential, window)):
        raise CredentialTokenError("bad_proof", "the device's proof does not verify")
    return window

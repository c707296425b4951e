"""Ed25519 signature checks through libsodium (PyNaCl).

Measured on the project's machine (bench/verify.py, docs/benchmarks.md): libsodium
verifies about twice as fast as OpenSSL 4 through ``cryptography`` (15,200 vs 7,600 a
second on one core), and an offline station's check is mostly this one verification.
The signatures are the same RFC 8032 EdDSA either way; signing stays with
``cryptography`` (codes/keys.py). libsodium is the stricter of the two: it also refuses
small-order public keys and non-canonical encodings, which no honest signer produces.
"""

from __future__ import annotations

from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

__all__ = ["VerifyKey", "public_key", "verifies"]


def public_key(raw: bytes) -> VerifyKey:
    """The key object for 32 raw public-key bytes (``ValueError`` otherwise)."""
    if not isinstance(raw, bytes) or len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return VerifyKey(raw)


def verifies(key: VerifyKey, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``key``'s signature of ``message``; never raises for a
    bad signature (wrong length, not canonical, or simply another message's)."""
    if not isinstance(signature, bytes) or len(signature) != 64:
        return False
    try:
        key.verify(message, signature)
    except (CryptoError, ValueError, TypeError):
        return False
    return True

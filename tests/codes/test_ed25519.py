"""codes/ed25519.py (libsodium) answers as OpenSSL does for every honest signature, and
refuses what is not one: RFC 8032's first test vector, random keys and messages, a
flipped bit, wrong lengths, another key."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from relaycode.codes import ed25519

# RFC 8032 §7.1, TEST 1 (the empty message).
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def test_rfc_8032_vector() -> None:
    key = ed25519.public_key(PUBLIC)
    assert ed25519.verifies(key, SIGNATURE, b"")
    assert not ed25519.verifies(key, SIGNATURE, b"x")
    assert not ed25519.verifies(key, SIGNATURE[:-1], b"")
    assert not ed25519.verifies(key, SIGNATURE + b"\x00", b"")


@settings(max_examples=60, deadline=None)
@given(message=st.binary(max_size=300), bit=st.integers(0, 511))
def test_agrees_with_openssl(message: bytes, bit: int) -> None:
    private = Ed25519PrivateKey.generate()
    signature = private.sign(message)
    key = ed25519.public_key(private.public_key().public_bytes_raw())
    assert ed25519.verifies(key, signature, message)
    bad = bytearray(signature)
    bad[bit // 8] ^= 1 << (bit % 8)
    try:
        private.public_key().verify(bytes(bad), message)
        openssl = True
    except InvalidSignature:
        openssl = False
    assert ed25519.verifies(key, bytes(bad), message) is openssl is False
    other = ed25519.public_key(Ed25519PrivateKey.generate().public_key().public_bytes_raw())
    assert not ed25519.verifies(other, signature, message)


def test_keys_that_are_not_keys() -> None:
    for raw in (b"", bytes(31), bytes(33)):
        try:
            ed25519.public_key(raw)
        except ValueError:
            continue
        raise AssertionError(f"{len(raw)} bytes taken for a key")
    small_order = ed25519.public_key(bytes(32))  # the identity's neighbour: y = 0
    assert not ed25519.verifies(small_order, bytes(64), b"anything")

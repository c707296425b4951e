"""Format 3, the offline-verifiable credential: a COSE_Sign1 (tag 18) over CWT claims,
EdDSA with the keyring's Ed25519 key, ``kid`` in the protected header.

Signing goes through the ``cwt`` library's COSE layer (claims are CBOR by ``cbor2``);
verifying checks the same Sig_structure with ``cryptography`` directly, for speed
(tests/codes/test_base45_fast.py: it agrees with ``cwt``). The result is a standard
COSE_Sign1 that any COSE library verifies with the key from ``GET /api/v1/trust-list``
(tests/codes/test_credential_vectors.py checks pycose).
Everything here is pure: a trust list and the time in, claims or ``CredentialTokenError``
out, so the server and ``relaycode verify --offline`` share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cwt import COSE, COSEKey

from relaycode.codes import ed25519
from relaycode.codes.credential_claims import (
    CredentialClaims,
    CredentialTokenError,
    device_thumbprint,
    malformed,
)
from relaycode.codes.credential_rotating import check_proof, split_presentation
from relaycode.codes.credential_text import Decoded, decode_text, rotating_text, signed_text
from relaycode.codes.trust_list import TrustKey, TrustList

__all__ = [
    "CredentialClaims",
    "CredentialTokenError",
    "Presented",
    "device_thumbprint",
    "parse_presented",
    "rotating_text",
    "sign_credential",
    "signed_text",
    "verify_decoded",
    "verify_signed",
]

SKEW = 60  # seconds of clock difference allowed on exp and nbf (offline devices drift)
MAX_SIGNED = 256  # the budget is 170; refuse anything much larger before decoding
_ALG_EDDSA = -8
_COSE = COSE.new(alg_auto_inclusion=False, kid_auto_inclusion=False, verify_kid=True)


class _Signer(Protocol):
    def active_ed25519(self) -> tuple[str, Ed25519PrivateKey]: ...


@dataclass(frozen=True, slots=True)
class Presented:
    """A verified credential text. ``kind`` is ``signed`` (format 3) or ``rotating``
    (format 4: then ``window`` is its time window and ``device_key`` the raw device public
    key whose thumbprint the credential carries, both verified)."""

    kind: str
    form: str
    claims: CredentialClaims
    kid: str
    issuer: str
    credential: bytes
    window: int | None = None
    device_key: bytes | None = None


def sign_credential(claims: CredentialClaims, *, keyring: _Signer, now: int) -> bytes:
    """The COSE_Sign1 bytes of ``claims`` under the keyring's active Ed25519 key."""
    if claims.expires_at <= now:
        raise ValueError("a credential must expire after it is issued")
    kid, private = keyring.active_ed25519()
    key = COSEKey.new(
        {
            1: 1,
            -1: 6,
            -2: private.public_key().public_bytes_raw(),
            -4: private.private_bytes_raw(),
            3: _ALG_EDDSA,
            2: kid.encode(),
        }
    )
    payload = cbor2.dumps(claims.to_cwt())
    raw: bytes = _COSE.encode_and_sign(
        payload, key, protected={1: _ALG_EDDSA, 4: kid.encode()}, unprotected={}
    )
    return raw


def _structure(raw: bytes) -> tuple[str, bytes, bytes, bytes]:
    """(kid, protected, payload, signature) of a well-formed COSE_Sign1 of ours, not yet
    verified (``protected`` is the header's bytes as signed)."""
    if len(raw) > MAX_SIGNED:
        raise malformed(f"a signed credential is at most {MAX_SIGNED} bytes")
    try:
        value: Any = cbor2.loads(raw)
        again = cbor2.dumps(value)
        protected: Any = None
        inner = value.value if isinstance(value, cbor2.CBORTag) and value.tag == 18 else None
        if isinstance(inner, list) and len(inner) == 4 and type(inner[0]) is bytes:
            protected = cbor2.loads(inner[0])
    except Exception:  # cbor2 raises several types for bad input; all mean malformed
        raise malformed("not a COSE_Sign1 (CBOR tag 18)") from None
    if protected is None or again != raw:
        raise malformed("not a COSE_Sign1 (CBOR tag 18)")
    _, unprotected, payload, signature = value.value
    if not isinstance(protected, dict) or set(protected) != {1, 4}:
        raise malformed("the protected header is not {alg, kid}")
    if protected[1] != _ALG_EDDSA or type(protected[4]) is not bytes:
        raise malformed("the algorithm is not EdDSA, or the kid is not a byte string")
    if unprotected != {} or type(payload) is not bytes or type(signature) is not bytes:
        raise malformed("a COSE_Sign1 of ours has an empty unprotected header and a payload")
    try:
        kid = protected[4].decode("utf-8")
    except UnicodeDecodeError:
        raise malformed("the kid is not UTF-8") from None
    return kid, value.value[0], payload, signature


def _verify(raw: bytes, trust: TrustList, now: int, our_issuer: str) -> tuple[TrustKey, Any]:
    kid, protected, payload, signature = _structure(raw)
    key = trust.key(kid)
    if key is None or not key.valid_at(now, skew=SKEW):
        raise CredentialTokenError("unknown_key", f"no trusted key {kid!r}")
    # RFC 9052 §4.4 by hand: _structure has checked everything the cwt library would
    # (tag 18, {alg: EdDSA, kid}, no unprotected header), so what is left is EdDSA over
    # Sig_structure with the trust key's cached object; going through cwt's
    # decode_with_headers cost ~50 µs a verification more (tests check both agree).
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    if not ed25519.verifies(key.public, signature, to_be_signed):
        raise CredentialTokenError("bad_signature", "the signature does not verify")
    if key.issuer != our_issuer:
        raise CredentialTokenError("wrong_issuer", f"signed for {key.issuer}, not {our_issuer}")
    try:
        claims: Any = cbor2.loads(payload)
    except Exception:
        raise malformed("the payload is not CBOR") from None
    return key, claims


def verify_signed(
    raw: bytes, *, trust: TrustList, now: int, our_issuer: str
) -> tuple[CredentialClaims, TrustKey]:
    """The claims of a format-3 credential (its bytes), checked at unix time ``now``."""
    key, cwt_claims = _verify(raw, trust, now, our_issuer)
    claims = CredentialClaims.from_cwt(cwt_claims)
    claims.check_time(now, skew=SKEW)
    return claims, key


def verify_decoded(decoded: Decoded, *, trust: TrustList, now: int, our_issuer: str) -> Presented:
    """Verify a text already split by ``credential_text`` (classify does the host check)."""
    if decoded.format == 3:
        claims, key = verify_signed(decoded.raw, trust=trust, now=now, our_issuer=our_issuer)
        return Presented("signed", decoded.form, claims, key.kid, key.issuer, decoded.raw)
    envelope = split_presentation(decoded.raw)
    claims, key = verify_signed(envelope.credential, trust=trust, now=now, our_issuer=our_issuer)
    window = check_proof(envelope, claims.device_thumbprint, now=now)
    return Presented(
        "rotating",
        decoded.form,
        claims,
        key.kid,
        key.issuer,
        envelope.credential,
        window,
        envelope.device_key,
    )


def parse_presented(text: str, *, trust: TrustList, now: int, our_issuer: str) -> Presented:
    """Verify any format-3 or format-4 text. A link on a host the trust list does not name
    is ``wrong_issuer`` (its signature may be good, but it is not our link)."""
    decoded = decode_text(text)
    if decoded.host is not None and decoded.host not in trust.hosts:
        raise CredentialTokenError("wrong_issuer", f"a link on {decoded.host}, not ours")
    return verify_decoded(decoded, trust=trust, now=now, our_issuer=our_issuer)

"""What a signed credential says (format 3), and the one error type of formats 3 and 4.

The claims are a CWT (RFC 8392): ``exp`` (4), optional ``nbf`` (5), ``cti`` (7, the
credential id), and one private-use claim (-65537) holding a map with small integer keys
for everything that is ours. Nothing personal: the holder is a pseudonymous id, the device
a key thumbprint. docs/code-format.md §5 is the normative description.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import cbor2

__all__ = ["CredentialClaims", "CredentialTokenError", "device_thumbprint"]

EXP, NBF, CTI = 4, 5, 7
PRIVATE = -65537  # the first private-use CWT claim key (RFC 8392 §9.1: < -65536)
# Keys inside the private map. Appended only: a verifier ignores keys it does not know.
MERCHANT, TEMPLATE, KIND, GENERATION, HOLDER, VALUE, CNF = 1, 2, 3, 4, 5, 6, 7
HOLDER_BYTES = 8  # like the device pid of format 2
THUMBPRINT_BYTES = 12  # see device_thumbprint
U32 = 2**32
REASONS = (
    "malformed",
    "unknown_key",
    "bad_signature",
    "wrong_issuer",
    "expired",
    "not_yet_valid",
    "stale_presentation",
    "bad_proof",
)


class CredentialTokenError(Exception):
    """A text or token that is not a valid credential; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def malformed(message: str) -> CredentialTokenError:
    return CredentialTokenError("malformed", message)


@dataclass(frozen=True, slots=True)
class CredentialClaims:
    """``credential_id``: 32 lower-case hex characters (the data model's id), the CWT
    ``cti`` as 16 bytes. Times are unix seconds. ``merchant`` and ``template`` are the
    data model's ids (an organisation and its product, not people); ``holder`` is the
    holder's 8-byte pseudonymous id; ``value`` the uses left or the balance (minor units)
    as of issue, its meaning given by ``kind``; ``device_thumbprint`` binds the credential
    to a device key (``device_thumbprint()``), which format 4 then proves."""

    credential_id: str
    expires_at: int
    merchant: int
    template: int
    kind: int
    generation: int
    holder: bytes
    value: int | None = None
    device_thumbprint: bytes | None = None
    not_before: int | None = None

    def __post_init__(self) -> None:
        cid = self.credential_id
        if len(cid) != 32 or cid.strip("0123456789abcdef"):
            raise ValueError("credential_id is not 32 lower-case hex characters")
        for name in ("expires_at", "merchant", "template", "value", "not_before"):
            v = getattr(self, name)
            if v is not None and (type(v) is not int or not 0 <= v < U32):
                raise ValueError(f"{name} is not an integer from 0 to 2**32-1")
        for name in ("kind", "generation"):
            v = getattr(self, name)
            if type(v) is not int or not 0 <= v <= 255:
                raise ValueError(f"{name} is not an integer from 0 to 255")
        if type(self.holder) is not bytes or len(self.holder) != HOLDER_BYTES:
            raise ValueError(f"holder is not {HOLDER_BYTES} bytes")
        tp = self.device_thumbprint
        if tp is not None and (type(tp) is not bytes or len(tp) != THUMBPRINT_BYTES):
            raise ValueError(f"device_thumbprint is not {THUMBPRINT_BYTES} bytes")

    def to_cwt(self) -> dict[int, Any]:
        private: dict[int, Any] = {
            MERCHANT: self.merchant,
            TEMPLATE: self.template,
            KIND: self.kind,
            GENERATION: self.generation,
            HOLDER: self.holder,
        }
        if self.value is not None:
            private[VALUE] = self.value
        if self.device_thumbprint is not None:
            private[CNF] = self.device_thumbprint
        claims: dict[int, Any] = {EXP: self.expires_at}
        if self.not_before is not None:
            claims[NBF] = self.not_before
        claims[CTI] = bytes.fromhex(self.credential_id)
        claims[PRIVATE] = private
        return claims

    @classmethod
    def from_cwt(cls, claims: Any) -> CredentialClaims:
        """The claims of a verified payload; ``malformed`` if they are not ours."""
        if not isinstance(claims, dict):
            raise malformed("the CWT claims are not a map")
        private = claims.get(PRIVATE)
        cti = claims.get(CTI)
        if not isinstance(private, dict):
            raise malformed("the credential has no relaycode claims")
        if type(cti) is not bytes or len(cti) != 16:
            raise malformed("cti is not 16 bytes")
        try:
            return cls(
                credential_id=cti.hex(),
                expires_at=claims.get(EXP),  # type: ignore[arg-type]  # checked in __post_init__
                not_before=claims.get(NBF),
                merchant=private.get(MERCHANT),  # type: ignore[arg-type]
                template=private.get(TEMPLATE),  # type: ignore[arg-type]
                kind=private.get(KIND),  # type: ignore[arg-type]
                generation=private.get(GENERATION),  # type: ignore[arg-type]
                holder=private.get(HOLDER),  # type: ignore[arg-type]
                value=private.get(VALUE),
                device_thumbprint=private.get(CNF),
            )
        except (ValueError, TypeError) as exc:
            raise malformed(f"a claim is out of range: {exc}") from None

    def check_time(self, now: int, *, skew: int) -> None:
        """``expired`` / ``not_yet_valid`` at unix time ``now``, allowing ``skew`` seconds
        of clock difference between issuer and verifier."""
        if now >= self.expires_at + skew:
            raise CredentialTokenError("expired", "the credential has expired")
        if self.not_before is not None and now + skew < self.not_before:
            raise CredentialTokenError("not_yet_valid", "the credential is not valid yet")


def device_thumbprint(public_key: bytes) -> bytes:
    """The first 12 bytes of the RFC 9679 COSE Key thumbprint of a raw Ed25519 public key:
    SHA-256 of the deterministic CBOR of ``{1: 1, -1: 6, -2: x}``. 96 bits: finding another
    key with the same thumbprint (a second preimage) is far beyond reach within the short
    life of a credential, and 4 bytes fewer keep the credential within its budget."""
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    cose_key = cbor2.dumps({1: 1, -1: 6, -2: public_key}, canonical=True)
    return hashlib.sha256(cose_key).digest()[:THUMBPRINT_BYTES]

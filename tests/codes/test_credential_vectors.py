"""Formats 3 and 4 against tests/vectors/credentials/*.json, written by
generate_credentials.py (COSE_Sign1 built from RFC 9052 with cbor2 + cryptography, not the
``cwt`` library the product uses); and pycose, a COSE library we do not use, verifies what
the product signs with nothing but the key from the trust list."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys import CoseKey
from pycose.messages import CoseMessage, Sign1Message

from relaycode.codes.credential_rotating import make_presentation
from relaycode.codes.credential_text import decode_text, rotating_text
from relaycode.codes.credential_token import (
    CredentialClaims,
    CredentialTokenError,
    parse_presented,
    sign_credential,
    signed_text,
)
from relaycode.codes.keys import Keyring
from relaycode.codes.trust_list import TrustList

DIR = Path(__file__).parents[1] / "vectors" / "credentials"
VECTORS = sorted(DIR.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_of(doc: dict[str, Any]) -> CredentialClaims:
    tp = doc["device_thumbprint"]
    return CredentialClaims(
        **{
            **doc,
            "holder": bytes.fromhex(doc["holder"]),
            "device_thumbprint": bytes.fromhex(tp) if tp else None,
        }
    )


class FixedSigner:
    def __init__(self, kid: str, d: str) -> None:
        self.kid, self.key = kid, Ed25519PrivateKey.from_private_bytes(unb64(d))

    def active_ed25519(self) -> tuple[str, Ed25519PrivateKey]:
        return self.kid, self.key


def test_every_direction_and_reason_is_covered() -> None:
    docs = [load(p) for p in VECTORS]
    assert {d["input"]["direction"] for d in docs} == {"sign", "present", "parse"}
    reasons = {d["expected"]["reason"] for d in docs if d["input"]["direction"] == "parse"}
    assert reasons == {
        None,
        "malformed",
        "unknown_key",
        "bad_signature",
        "wrong_issuer",
        "expired",
        "not_yet_valid",
        "stale_presentation",
        "bad_proof",
    }


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_vector(path: Path) -> None:
    v = load(path)
    inp, want = v["input"], v["expected"]
    if inp["direction"] == "sign":
        signer = FixedSigner(inp["signer"]["kid"], inp["signer"]["d"])
        raw = sign_credential(claims_of(inp["claims"]), keyring=signer, now=inp["now"])
        assert raw.hex() == want["hex"] and len(raw) == want["bytes"]
        assert signed_text(raw) == want["cr1"]
        host = want["url"].split("/")[2]
        assert signed_text(raw, "url", host=host) == want["url"]
        return
    if inp["direction"] == "present":
        device = Ed25519PrivateKey.from_private_bytes(unb64(inp["device"]["d"]))
        raw = decode_text(inp["credential"]).raw
        assert rotating_text(make_presentation(raw, device, now=inp["now"])) == want["text"]
        return
    trust = TrustList.combine(TrustList.from_json(t) for t in inp["trust_lists"])
    args: dict[str, Any] = {"trust": trust, "now": inp["now"], "our_issuer": inp["our_issuer"]}
    if want["reason"] is not None:
        with pytest.raises(CredentialTokenError) as err:
            parse_presented(inp["text"], **args)
        assert err.value.reason == want["reason"], str(err.value)
        return
    got = parse_presented(inp["text"], **args)
    assert got.kind == want["kind"] and got.window == want["window"]
    assert got.claims == claims_of(want["claims"])


def test_pycose_verifies_what_we_sign_with_the_trust_list_key(tmp_path: Path) -> None:
    ring = Keyring.for_data_dir(tmp_path)
    claims = claims_of(load(DIR / "sign-worst-case.json")["input"]["claims"])
    raw = sign_credential(claims, keyring=ring, now=1_790_000_000)
    assert len(raw) <= 170
    trust = TrustList.from_keyring(ring, issuer="https://rc.test", hosts=["RC.TEST"]).to_json()
    (jwk,) = trust["keys"]
    message = CoseMessage.decode(raw)
    assert isinstance(message, Sign1Message)
    assert message.phdr == {Algorithm: EdDSA, KID: jwk["kid"].encode()}  # both protected
    assert message.uhdr == {}
    message.key = CoseKey.from_dict({1: 1, -1: 6, -2: unb64(jwk["x"]), 2: jwk["kid"].encode()})
    assert message.verify_signature()
    forged = bytearray(raw)
    forged[-1] ^= 0x80
    other = CoseMessage.decode(bytes(forged))
    assert isinstance(other, Sign1Message)
    other.key = message.key
    assert not other.verify_signature()

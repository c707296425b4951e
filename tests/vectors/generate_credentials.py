"""Independent reference implementation of formats 3 and 4 (docs/code-format.md §5: signed
credentials and rotating presentations) that wrote tests/vectors/credentials/*.json.

A different code path from the product's: the product signs and verifies with the ``cwt``
library's COSE layer; this builds the COSE_Sign1 itself from RFC 9052 (the Sig_structure
``["Signature1", protected, external_aad, payload]``) with ``cbor2`` (canonical encoding)
and ``cryptography``'s Ed25519, and base45/base32 from the RFCs with the standard library.

Run from the repo root: python tests/vectors/generate_credentials.py (rewrites the files).

Directions: ``sign`` (claims and the issuer's private key → the exact bytes and texts:
the server), ``present`` (a credential text, the device's private key and the time → the
exact ``CR4:`` text: static/presentation.js and the Python), ``parse`` (a text, trust lists,
the issuer we expect and the time → the claims, or the reason it is refused).
"""

import base64
import hashlib
import json
import pathlib
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

out = pathlib.Path("tests/vectors/credentials")
ISSUER, OTHER_ISSUER = "https://rc.example.com", "https://other.example"
HOST, OTHER_HOST = "RC.EXAMPLE.COM", "OTHER.EXAMPLE"
HOST24 = "SHOP-24-CHARS.EXAMPLE.CN"
NOW = 1_790_000_000  # 2026-09-21, a window boundary + 20 s
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def seed(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())


def raw_pub(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def b45(raw: bytes) -> str:  # RFC 9285 §4
    chars = []
    for i in range(0, len(raw) - 1, 2):
        n = raw[i] * 256 + raw[i + 1]
        chars += [B45[n % 45], B45[n // 45 % 45], B45[n // 2025]]
    if len(raw) % 2:
        chars += [B45[raw[-1] % 45], B45[raw[-1] // 45]]
    return "".join(chars)


ISSUER_KEY, ISSUER_KID = seed("issuer key 1"), "k1ISSUER"
OLD_KEY, OLD_KID = seed("issuer key 0, rotated out"), "k0VERIFY"
RETIRED_KEY, RETIRED_KID = seed("issuer key -1, retired"), "kRETIRED"
OTHER_KEY, OTHER_KID = seed("another instance's key"), "kOTHER01"
DEVICE, OTHER_DEVICE = seed("holder device"), seed("another device")


def jwk(key: Ed25519PrivateKey, kid: str, status: str, nb: str, na: str | None) -> dict[str, Any]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
        "kid": kid,
        "x": b64(raw_pub(key)),
        "status": status,
        "not_before": nb,
        "not_after": na,
    }


def trust(issuer: str, hosts: list[str], keys: list[dict[str, Any]], version: int = 3) -> Any:
    return {
        "format": "relaycode-trust-list/1",
        "issuer": issuer,
        "hosts": hosts,
        "version": version,
        "keys": keys,
    }


OURS = trust(
    ISSUER,
    [HOST, HOST24],
    [
        jwk(OLD_KEY, OLD_KID, "verify", "2025-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"),
        jwk(ISSUER_KEY, ISSUER_KID, "active", "2026-01-01T00:00:00+00:00", None),
    ],
)
THEIRS = trust(
    OTHER_ISSUER,
    [OTHER_HOST],
    [jwk(OTHER_KEY, OTHER_KID, "active", "2026-01-01T00:00:00+00:00", None)],
)
LAPSED = trust(
    ISSUER,
    [HOST],
    [
        jwk(OLD_KEY, OLD_KID, "verify", "2025-01-01T00:00:00+00:00", "2026-06-01T00:00:00+00:00"),
        jwk(ISSUER_KEY, ISSUER_KID, "active", "2026-01-01T00:00:00+00:00", None),
    ],
)


def thumbprint(pub: bytes) -> bytes:  # RFC 9679, truncated to 12 bytes
    return hashlib.sha256(cbor2.dumps({1: 1, -1: 6, -2: pub}, canonical=True)).digest()[:12]


BASE_CLAIMS: dict[str, Any] = {
    "credential_id": "00112233445566778899aabbccddeeff",
    "expires_at": NOW + 86_400,
    "not_before": None,
    "merchant": 7,
    "template": 42,
    "kind": 1,
    "generation": 0,
    "holder": "a1b2c3d4e5f60718",
    "value": 10,
    "device_thumbprint": thumbprint(raw_pub(DEVICE)).hex(),
}
WORST: dict[str, Any] = {
    "credential_id": "ffeeddccbbaa99887766554433221100",
    "expires_at": 2**32 - 1,
    "not_before": NOW - 60,
    "merchant": 2**32 - 1,
    "template": 2**32 - 1,
    "kind": 255,
    "generation": 255,
    "holder": "ffffffffffffffff",
    "value": 2**32 - 1,
    "device_thumbprint": thumbprint(raw_pub(DEVICE)).hex(),
}


def cwt_claims(c: dict[str, Any]) -> dict[int, Any]:
    private = {
        1: c["merchant"],
        2: c["template"],
        3: c["kind"],
        4: c["generation"],
        5: bytes.fromhex(c["holder"]),
    }
    if c["value"] is not None:
        private[6] = c["value"]
    if c["device_thumbprint"] is not None:
        private[7] = bytes.fromhex(c["device_thumbprint"])
    claims: dict[int, Any] = {4: c["expires_at"], 7: bytes.fromhex(c["credential_id"])}
    if c["not_before"] is not None:
        claims[5] = c["not_before"]
    claims[-65537] = private
    return claims


def sign1(payload: bytes, key: Ed25519PrivateKey, kid: str, alg: int = -8) -> bytes:
    protected = cbor2.dumps({1: alg, 4: kid.encode()}, canonical=True)
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    signature = key.sign(to_sign)
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))


def credential(
    c: dict[str, Any], key: Ed25519PrivateKey = ISSUER_KEY, kid: str = ISSUER_KID
) -> bytes:
    return sign1(cbor2.dumps(cwt_claims(c), canonical=True), key, kid)


def presentation(
    cred: bytes, device: Ed25519PrivateKey, now: int, pub: bytes | None = None
) -> bytes:
    window = now // 30
    msg = b"rc/P" + hashlib.sha256(cred).digest() + window.to_bytes(4, "big")
    return cbor2.dumps([cred, window % 65536, pub or raw_pub(device), device.sign(msg)])


def non_canonical_b32(raw: bytes) -> str:
    """BASE32 of ``raw`` with an unused padding bit of its last character set."""
    text = b32(raw)
    assert len(text) * 5 > len(raw) * 8, "no unused bits"
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return text[:-1] + alphabet[alphabet.index(text[-1]) | 1]


def cr1(raw: bytes) -> str:
    return "CR1:" + b45(raw)


def cr4(raw: bytes) -> str:
    return "CR4:" + b45(raw)


def write(name: str, doc: dict[str, Any]) -> None:
    (out / f"{name}.json").write_text(json.dumps({"name": name, **doc}, indent=2) + "\n")


def parse(
    name: str,
    text: str,
    reason: str | None,
    *,
    claims: dict[str, Any] | None = None,
    now: int = NOW,
    lists: tuple[Any, ...] = (OURS,),
    kind: str = "signed",
    window: int | None = None,
    note: str = "",
) -> None:
    expected: dict[str, Any] = {"reason": reason}
    if reason is None:
        expected |= {"kind": kind, "claims": claims, "window": window}
    write(
        name,
        {
            "note": note,
            "input": {
                "direction": "parse",
                "text": text,
                "now": now,
                "our_issuer": ISSUER,
                "trust_lists": list(lists),
            },
            "expected": expected,
        },
    )


def main() -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    good, worst = credential(BASE_CLAIMS), credential(WORST)
    assert len(worst) <= 170, len(worst)
    signer = {
        "kid": ISSUER_KID,
        "d": b64(ISSUER_KEY.private_bytes_raw()),
        "x": b64(raw_pub(ISSUER_KEY)),
    }
    for name, c, raw in (("sign-basic", BASE_CLAIMS, good), ("sign-worst-case", WORST, worst)):
        write(
            name,
            {
                "input": {"direction": "sign", "claims": c, "signer": signer, "now": NOW},
                "expected": {
                    "hex": raw.hex(),
                    "bytes": len(raw),
                    "cr1": cr1(raw),
                    "url": f"HTTPS://{HOST24}/V/{b32(raw)}",
                },
            },
        )

    dev = {"d": b64(DEVICE.private_bytes_raw()), "x": b64(raw_pub(DEVICE))}
    for name, raw, now in (("present-basic", good, NOW), ("present-worst-case", worst, NOW + 3600)):
        write(
            name,
            {
                "input": {
                    "direction": "present",
                    "credential": cr1(raw),
                    "device": dev,
                    "now": now,
                },
                "expected": {"text": cr4(presentation(raw, DEVICE, now)), "window": now // 30},
            },
        )

    parse("parse-signed-valid", cr1(good), None, claims=BASE_CLAIMS)
    parse("parse-signed-valid-worst-case", cr1(worst), None, claims=WORST)
    parse("parse-signed-valid-lowercase-prefix", "cr1:" + b45(good), None, claims=BASE_CLAIMS)
    parse("parse-signed-valid-link", f"HTTPS://{HOST24}/V/{b32(good)}", None, claims=BASE_CLAIMS)
    parse(
        "parse-signed-valid-link-lowercase",
        f"https://rc.example.com/v/{b32(good).lower()}/",
        None,
        claims=BASE_CLAIMS,
    )
    parse(
        "parse-signed-valid-rotated-out-key",
        cr1(credential(BASE_CLAIMS, OLD_KEY, OLD_KID)),
        None,
        claims=BASE_CLAIMS,
        note="a key in verify status still verifies",
    )
    forged = bytearray(good)
    forged[-1] ^= 1
    parse("parse-signed-forged-signature", cr1(bytes(forged)), "bad_signature")
    changed = dict(BASE_CLAIMS, value=1000)
    tampered = cbor2.loads(good).value
    tampered[2] = cbor2.dumps(cwt_claims(changed), canonical=True)
    parse(
        "parse-signed-changed-claim", cr1(cbor2.dumps(cbor2.CBORTag(18, tampered))), "bad_signature"
    )
    parse(
        "parse-signed-by-unknown-key",
        cr1(credential(BASE_CLAIMS, seed("nobody"), "kUNKNOWN")),
        "unknown_key",
    )
    parse(
        "parse-signed-by-retired-key",
        cr1(credential(BASE_CLAIMS, RETIRED_KEY, RETIRED_KID)),
        "unknown_key",
        note="retired keys are not in the trust list",
    )
    parse(
        "parse-signed-by-lapsed-key",
        cr1(credential(BASE_CLAIMS, OLD_KEY, OLD_KID)),
        "unknown_key",
        lists=(LAPSED,),
        note="now is after the key's not_after",
    )
    parse(
        "parse-signed-kid-of-ours-other-key",
        cr1(credential(BASE_CLAIMS, OTHER_KEY, ISSUER_KID)),
        "bad_signature",
    )
    parse("parse-signed-expired", cr1(good), "expired", now=NOW + 86_400 + 60)
    parse(
        "parse-signed-within-skew-of-expiry",
        cr1(good),
        None,
        claims=BASE_CLAIMS,
        now=NOW + 86_400 + 59,
    )
    future = dict(BASE_CLAIMS, not_before=NOW + 3600)
    parse("parse-signed-not-yet-valid", cr1(credential(future)), "not_yet_valid")
    other = credential(BASE_CLAIMS, OTHER_KEY, OTHER_KID)
    parse(
        "parse-signed-other-issuer",
        cr1(other),
        "wrong_issuer",
        lists=(OURS, THEIRS),
        note="a verifier that knows both instances, expecting ours",
    )
    parse("parse-signed-other-issuer-unknown-here", cr1(other), "unknown_key")
    parse("parse-signed-link-on-other-host", f"HTTPS://{OTHER_HOST}/V/{b32(good)}", "wrong_issuer")

    p_now = presentation(good, DEVICE, NOW)
    parse(
        "parse-rotating-valid",
        cr4(p_now),
        None,
        kind="rotating",
        claims=BASE_CLAIMS,
        window=NOW // 30,
    )
    parse(
        "parse-rotating-valid-link",
        f"HTTPS://{HOST}/P/{b32(p_now)}",
        None,
        kind="rotating",
        claims=BASE_CLAIMS,
        window=NOW // 30,
    )
    parse(
        "parse-rotating-previous-window",
        cr4(p_now),
        None,
        kind="rotating",
        claims=BASE_CLAIMS,
        window=NOW // 30,
        now=NOW + 30,
        note="clock skew: one window either way",
    )
    parse(
        "parse-rotating-next-window",
        cr4(p_now),
        None,
        kind="rotating",
        claims=BASE_CLAIMS,
        window=NOW // 30,
        now=NOW - 30,
    )
    parse(
        "parse-rotating-replayed",
        cr4(p_now),
        "stale_presentation",
        now=NOW + 90,
        note="a screenshot a minute and a half later",
    )
    parse("parse-rotating-from-the-future", cr4(p_now), "stale_presentation", now=NOW - 90)
    parse(
        "parse-rotating-replayed-65536-windows-later",
        cr4(presentation(worst, DEVICE, NOW)),
        "bad_proof",
        now=NOW + 65536 * 30,
        note="same low window bits, but the proof covers the whole window number",
    )
    parse(
        "parse-rotating-wrong-device",
        cr4(presentation(good, OTHER_DEVICE, NOW)),
        "bad_proof",
        note="another phone signs with its own key",
    )
    parse(
        "parse-rotating-holder-key-other-signature",
        cr4(presentation(good, OTHER_DEVICE, NOW, raw_pub(DEVICE))),
        "bad_proof",
    )
    unbound = credential(dict(BASE_CLAIMS, device_thumbprint=None))
    parse("parse-rotating-unbound-credential", cr4(presentation(unbound, DEVICE, NOW)), "bad_proof")
    parse(
        "parse-rotating-expired-credential",
        cr4(presentation(good, DEVICE, NOW + 86_400 + 60)),
        "expired",
        now=NOW + 86_400 + 60,
    )
    parse(
        "parse-rotating-forged-credential",
        cr4(presentation(bytes(forged), DEVICE, NOW)),
        "bad_signature",
    )
    parse("parse-rotating-signed-text-as-rotating", "CR4:" + b45(good), "malformed")
    parse("parse-signed-rotating-text-as-signed", "CR1:" + b45(p_now), "malformed")

    body = b45(good)
    bad = {
        "empty": "",
        "prefix-only": "CR1:",
        "bad-base45-char": "CR1:" + body[:-1] + "a",
        "base45-dangling-char": "CR1:" + body + "0",
        "base45-overflow": "CR1:GGW",
        "truncated": "CR1:" + b45(good[:-3]),
        "trailing-byte": "CR1:" + b45(good + b"\x00"),
        "not-cose": "CR1:" + b45(cbor2.dumps(5)),
        "untagged": "CR1:" + b45(cbor2.dumps(cbor2.loads(good).value)),
        "mac0-tag": "CR1:" + b45(cbor2.dumps(cbor2.CBORTag(17, cbor2.loads(good).value))),
        "es256-alg": cr1(
            sign1(cbor2.dumps(cwt_claims(BASE_CLAIMS)), ISSUER_KEY, ISSUER_KID, alg=-7)
        ),
        "kid-unprotected": "CR1:"
        + b45(
            cbor2.dumps(
                cbor2.CBORTag(
                    18,
                    [cbor2.dumps({1: -8}), {4: ISSUER_KID.encode()}, *cbor2.loads(good).value[2:]],
                )
            )
        ),
        "claims-not-ours": cr1(
            sign1(cbor2.dumps({4: NOW + 60, 7: b"0" * 16}), ISSUER_KEY, ISSUER_KID)
        ),
        "too-long": "CR1:" + "0" * 1300,
        "link-bad-base32": f"HTTPS://{HOST}/V/{b32(good)}1",
        "link-non-canonical": f"HTTPS://{HOST}/V/{non_canonical_b32(good)}",
        "rotating-three-items": cr4(cbor2.dumps(cbor2.loads(p_now)[:3])),
    }
    for name, text in bad.items():
        parse(f"parse-malformed-{name}", text, "malformed")


if __name__ == "__main__":
    main()

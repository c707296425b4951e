"""Formats 3 and 4 with a real keyring: rotation and retirement, the published trust list
(ETag, 304), the scanner's verdicts, and the size budgets measured with segno."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from relaycode.codes.classify import classify
from relaycode.codes.credential_claims import device_thumbprint
from relaycode.codes.credential_rotating import make_presentation
from relaycode.codes.credential_token import (
    CredentialClaims,
    CredentialTokenError,
    parse_presented,
    rotating_text,
    sign_credential,
    signed_text,
)
from relaycode.codes.keys import Keyring
from relaycode.codes.trust_list import TrustList, TrustListError

ISSUER, HOST = "https://rc.test", "RC.TEST"
DEVICE = Ed25519PrivateKey.generate()


def claims(now: int, **changes: Any) -> CredentialClaims:
    base: dict[str, Any] = {
        "credential_id": os.urandom(16).hex(),
        "expires_at": now + 3600,
        "merchant": 3,
        "template": 9,
        "kind": 1,
        "generation": 0,
        "holder": os.urandom(8),
        "value": 5,
        "device_thumbprint": device_thumbprint(DEVICE.public_key().public_bytes_raw()),
    }
    return CredentialClaims(**(base | changes))


def trust_of(ring: Keyring) -> TrustList:
    return TrustList.from_keyring(ring, issuer=ISSUER, hosts=[HOST])


def reason(text: str, trust: TrustList, now: int) -> str:
    try:
        parse_presented(text, trust=trust, now=now, our_issuer=ISSUER)
    except CredentialTokenError as err:
        return err.reason
    return "ok"


def test_rotated_keys_verify_until_retired(tmp_path: Path) -> None:
    ring, now = Keyring.for_data_dir(tmp_path), int(time.time())
    old = signed_text(sign_credential(claims(now), keyring=ring, now=now))
    old_kid = ring.active_ed25519()[0]
    ring.rotate()
    new = signed_text(sign_credential(claims(now), keyring=ring, now=now))
    assert reason(old, trust_of(ring), now) == reason(new, trust_of(ring), now) == "ok"
    assert trust_of(ring).key(old_kid).status == "verify"  # type: ignore[union-attr]
    assert ring.retire(old_kid)
    assert reason(old, trust_of(ring), now) == "unknown_key"
    assert reason(new, trust_of(ring), now) == "ok"
    # What the endpoint publishes reads back the same.
    again = TrustList.from_json(trust_of(ring).to_json())
    assert again.keys.keys() == trust_of(ring).keys.keys() and again.version == 3


def test_claims_and_signing_refuse_what_does_not_fit(tmp_path: Path) -> None:
    ring, now = Keyring.for_data_dir(tmp_path), int(time.time())
    with pytest.raises(ValueError):
        sign_credential(claims(now, expires_at=now), keyring=ring, now=now)
    for bad in (
        {"credential_id": "ABC"},
        {"holder": b"x"},
        {"kind": 256},
        {"value": -1},
        {"merchant": 2**32},
        {"device_thumbprint": b"x" * 32},
    ):
        with pytest.raises(ValueError):
            claims(now, **bad)
    with pytest.raises(TrustListError):
        TrustList.from_json({"issuer": ISSUER, "keys": [{"kty": "OKP", "crv": "Ed25519"}]})


def test_presentation_windows(tmp_path: Path) -> None:
    ring, now = Keyring.for_data_dir(tmp_path), int(time.time()) // 30 * 30 + 10
    raw = sign_credential(claims(now), keyring=ring, now=now)
    text = rotating_text(make_presentation(raw, DEVICE, now=now))
    trust = trust_of(ring)
    # Made 10 s into window W: accepted in windows W-1, W and W+1 only.
    assert [reason(text, trust, now + d) for d in (-41, -40, 0, 49, 50, 80)] == [
        "stale_presentation",
        "ok",
        "ok",
        "ok",
        "stale_presentation",
        "stale_presentation",
    ]
    screenshot = rotating_text(make_presentation(raw, Ed25519PrivateKey.generate(), now=now))
    assert reason(screenshot, trust, now) == "bad_proof"
    # The signed credential alone still verifies (format 3), but is not a presentation.
    assert reason(signed_text(raw), trust, now) == "ok"


def qr_version(text: str) -> int:
    qr = segno.make_qr(text, error="m", boost_error=False)
    assert qr.mode == "alphanumeric" and qr.error == "M"
    return int(qr.version)


def test_size_budgets_with_all_claims(tmp_path: Path) -> None:
    ring, now = Keyring.for_data_dir(tmp_path), int(time.time())
    worst = claims(
        now,
        expires_at=2**32 - 1,
        not_before=now,
        merchant=2**32 - 1,
        template=2**32 - 1,
        kind=255,
        generation=255,
        value=2**32 - 1,
    )
    raw = sign_credential(worst, keyring=ring, now=now)
    assert len(raw) <= 170
    assert qr_version(signed_text(raw)) <= 9
    host24 = "SHOP-24-CHARS.EXAMPLE.CN"
    assert qr_version(signed_text(raw, "url", host=host24)) <= 10
    presentation = make_presentation(raw, DEVICE, now=now)
    assert qr_version(rotating_text(presentation)) <= 12
    assert qr_version(rotating_text(presentation, "url", host=host24)) <= 13


def test_trust_list_endpoint_is_cacheable_and_follows_rotation(
    client: TestClient, app: Any
) -> None:
    r = client.get("/api/v1/trust-list")
    assert r.status_code == 200 and r.headers["cache-control"].startswith("public")
    body, etag = r.json(), r.headers["etag"]
    assert body["issuer"] == ISSUER and body["hosts"][0] == HOST
    (key,) = body["keys"]
    assert {key["kty"], key["crv"], key["alg"], key["status"]} == {
        "OKP",
        "Ed25519",
        "EdDSA",
        "active",
    }
    assert "private" not in str(body) and "d" not in key
    assert client.get("/api/v1/trust-list", headers={"If-None-Match": etag}).status_code == 304
    ring: Keyring = app.state.rc.keyring
    ring.rotate()
    r2 = client.get("/api/v1/trust-list", headers={"If-None-Match": etag})
    assert r2.status_code == 200 and r2.headers["etag"] != etag
    assert r2.json()["version"] > body["version"] and len(r2.json()["keys"]) == 2
    assert ring.retire(key["kid"])
    kids = [k["kid"] for k in client.get("/api/v1/trust-list").json()["keys"]]
    assert key["kid"] not in kids and len(kids) == 1


def test_the_scanner_verifies_credentials(client: TestClient, app: Any) -> None:
    ring: Keyring = app.state.rc.keyring
    now = int(time.time())
    c = claims(now)
    raw = sign_credential(c, keyring=ring, now=now)
    texts = [
        signed_text(raw),
        signed_text(raw, "url", host=HOST),
        rotating_text(make_presentation(raw, DEVICE, now=now)),
        rotating_text(make_presentation(raw, DEVICE, now=now), "url", host=HOST),
    ]
    for text in texts:
        body = client.post("/api/v1/scan", json={"text": text}).json()
        assert body["verdict"] == "ours", (text, body)
        assert body["credential"]["id"] == c.credential_id
    assert body["credential"]["kind"] == "rotating" and body["credential"]["window"] == now // 30
    forged = raw[:-1] + bytes([raw[-1] ^ 1])
    body = client.post("/api/v1/scan", json={"text": signed_text(forged)}).json()
    assert (body["verdict"], body["reason"]) == ("ours_invalid", "bad_signature")
    foreign = signed_text(raw, "url", host="EVIL.EXAMPLE")
    assert client.post("/api/v1/scan", json={"text": foreign}).json()["verdict"] == "foreign_url"
    # Without a trust list the scanner cannot vouch for it, but knows it is ours.
    bare = classify(signed_text(raw), frozenset({HOST}), lambda _: None)
    assert (bare.verdict, bare.reason, bare.kind) == ("ours_invalid", "unverified", "credential")


def test_the_refusal_page_explains_credential_reasons(client: TestClient) -> None:
    r = client.get("/scan/invalid?reason=stale_presentation")
    assert r.status_code == 400 and "30 seconds" in r.text
    zh = client.get("/scan/invalid?reason=bad_proof", headers={"Accept-Language": "zh-CN"})
    assert "持有人的手机" in zh.text

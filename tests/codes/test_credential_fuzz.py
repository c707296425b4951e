"""No input makes the credential parser raise anything but ``CredentialTokenError`` (or the
trust-list reader anything but ``TrustListError``), and long texts are refused unread."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import base45
import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaycode.codes import credential_text
from relaycode.codes.credential_text import MAX_TEXT, rotating_text, signed_text
from relaycode.codes.credential_token import CredentialTokenError, parse_presented
from relaycode.codes.trust_list import TrustList, TrustListError

DIR = Path(__file__).parents[1] / "vectors" / "credentials"
FUZZ = settings(max_examples=300, deadline=None)


def _vector(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DIR / f"{name}.json").read_text())
    return doc


VALID = _vector("parse-rotating-valid")["input"]
TRUST = TrustList.combine(TrustList.from_json(t) for t in VALID["trust_lists"])
NOW, ISSUER = VALID["now"], VALID["our_issuer"]
GOOD_SIGNED = credential_text.decode_text(_vector("parse-signed-valid")["input"]["text"]).raw
GOOD_ROTATING = credential_text.decode_text(VALID["text"]).raw


def outcome(text: str) -> str:
    try:
        parse_presented(text, trust=TRUST, now=NOW, our_issuer=ISSUER)
    except CredentialTokenError as err:
        return err.reason
    return "ok"


cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.binary(max_size=80)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.integers(-70000, 10) | st.text(max_size=3), children, max_size=5)
        | st.builds(cbor2.CBORTag, st.sampled_from([18, 17, 61, 98, 24]), children)
    ),
    max_leaves=12,
)


@FUZZ
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    outcome(text)
    outcome("CR1:" + text)
    outcome("CR4:" + text)
    outcome("HTTPS://RC.EXAMPLE.COM/V/" + text)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_in_every_form(raw: bytes) -> None:
    for text in (
        signed_text(raw),
        rotating_text(raw),
        signed_text(raw, "url", host="RC.EXAMPLE.COM"),
        rotating_text(raw, "url", host="RC.EXAMPLE.COM"),
    ):
        assert outcome(text) != "ok"


@FUZZ
@given(cbor_values)
def test_any_cbor_structure(value: Any) -> None:
    try:
        raw = cbor2.dumps(value)
    except (ValueError, TypeError, OverflowError):
        return
    assert outcome(signed_text(raw)) != "ok"
    assert outcome(rotating_text(raw)) != "ok"
    # And the same inside a COSE_Sign1 / presentation shape, where the checks go deeper.
    outcome(signed_text(cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps(value), {}, raw, b"x" * 64]))))
    outcome(rotating_text(cbor2.dumps([GOOD_SIGNED, value, b"k" * 32, b"s" * 64])))


@FUZZ
@given(st.data())
def test_a_changed_byte_is_never_accepted(data: st.DataObject) -> None:
    for good, text_of in ((GOOD_SIGNED, signed_text), (GOOD_ROTATING, rotating_text)):
        i = data.draw(st.integers(0, len(good) - 1))
        flip = data.draw(st.integers(1, 255))
        changed = good[:i] + bytes([good[i] ^ flip]) + good[i + 1 :]
        assert outcome(text_of(changed)) != "ok"
        cut = data.draw(st.integers(0, len(good) - 1))
        assert outcome(text_of(good[:cut])) != "ok"
    assert outcome(rotating_text(GOOD_ROTATING)) == "ok"


def test_long_texts_are_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(_: object) -> bytes:
        raise AssertionError("decoded a text over the limit")

    monkeypatch.setattr(base45, "b45decode", explode)
    for text in ("CR1:" + "0" * MAX_TEXT, "HTTPS://RC.EXAMPLE.COM/V/" + "A" * MAX_TEXT):
        assert outcome(text) == "malformed"
    assert outcome("x" * 10**6) == "malformed"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=16,
)
key_fields = st.fixed_dictionaries(
    {},
    optional={
        "kty": st.sampled_from(["OKP", "EC", 1]),
        "crv": st.sampled_from(["Ed25519", "X25519", None]),
        "kid": st.text(max_size=20) | st.integers(),
        "x": st.text(max_size=50) | st.just(VALID["trust_lists"][0]["keys"][0]["x"]),
        "status": st.sampled_from(["active", "verify", "retired", 3]),
        "not_before": st.text(max_size=30) | st.none() | st.just("2026-01-01T00:00:00+00:00"),
        "not_after": st.text(max_size=30) | st.none() | st.integers(),
    },
)


@FUZZ
@given(
    json_values,
    st.fixed_dictionaries(
        {"issuer": st.text(max_size=20) | st.integers(), "keys": st.lists(key_fields, max_size=3)},
        optional={"hosts": json_values, "version": json_values},
    ),
)
def test_trust_list_reader(value: Any, doc: dict[str, Any]) -> None:
    for candidate in (value, doc, json.dumps(doc), "{" + json.dumps(value)):
        with contextlib.suppress(TrustListError):
            TrustList.from_json(candidate)


@FUZZ
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=60))
def test_base45_has_one_spelling(body: str) -> None:
    """What the decoder accepts re-encodes to itself, so it needs no re-encoding check."""
    try:
        raw = credential_text._unb45(body)
    except CredentialTokenError:
        return
    assert base45.b45encode(raw).decode() == body

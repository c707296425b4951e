"""The fast paths of offline verification agree with the libraries they replace: the
table-driven base45 decoder with the ``base45`` package (on random input, valid or not),
and the direct EdDSA check of a COSE_Sign1 with the ``cwt`` library's (on tampered
credentials)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import base45
from hypothesis import given, settings
from hypothesis import strategies as st

from relaycode.codes.credential_claims import CredentialClaims, CredentialTokenError
from relaycode.codes.credential_text import b45decode
from relaycode.codes.credential_token import _COSE, sign_credential, verify_signed
from relaycode.codes.keys import Keyring
from relaycode.codes.trust_list import TrustList

ISSUER = "https://rc.test"

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _package(text: str) -> bytes | None:
    try:
        out: bytes = base45.b45decode(text)
    except ValueError:
        return None
    return out


def _ours(text: str) -> bytes | None:
    try:
        return b45decode(text)
    except ValueError:
        return None


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_round_trip_of_the_package_encoding(raw: bytes) -> None:
    assert b45decode(base45.b45encode(raw).decode()) == raw


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=ALPHABET + "az\n\x00é", max_size=40))
def test_same_verdict_as_the_package_on_any_text(text: str) -> None:
    if text.endswith("\n"):
        return  # the package strips it; _unb45 refuses it before either is asked
    assert _ours(text) == _package(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=":", min_size=3, max_size=3) | st.text(alphabet="Z:", max_size=9))
def test_groups_above_range_are_refused_like_the_package(text: str) -> None:
    assert _ours(text) == _package(text)


_RING: list[Keyring] = []


def _ring() -> Keyring:
    if not _RING:
        _RING.append(Keyring.for_data_dir(Path(tempfile.mkdtemp())))
    return _RING[0]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_direct_verification_agrees_with_cwt(where: int, flip: int) -> None:
    ring, now = _ring(), int(time.time())
    claims = CredentialClaims(credential_id="ab" * 16, expires_at=now + 600, merchant=1,
                              template=2, kind=1, generation=1, holder=b"h" * 8)  # fmt: skip
    raw = bytearray(sign_credential(claims, keyring=ring, now=now))
    raw[where % len(raw)] ^= flip
    trust = TrustList.from_keyring(ring, issuer=ISSUER, hosts=["RC.TEST"])
    (key,) = trust.keys.values()
    try:
        _COSE.decode_with_headers(bytes(raw), [key.cose])
        theirs = True
    except Exception:  # cwt raises several types; all mean "does not verify"
        theirs = False
    try:
        verify_signed(bytes(raw), trust=trust, now=now, our_issuer=ISSUER)
        ours = True
    except CredentialTokenError:
        ours = False
    # Ours refuses more (a non-canonical or foreign structure cwt tolerates), never less.
    assert ours <= theirs
    if flip == 0:
        assert ours and theirs

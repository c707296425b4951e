"""Property tests: round trips, and any changed character is rejected."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaycode.codes.classify import classify
from relaycode.codes.tokens import TOKEN_CHARS, TokenError, code_url, decode_token, encode_token

KEYS = {1: b"k" * 32, 7: b"z" * 32}
HOSTS = frozenset({"RC.EXAMPLE.COM"})
B32 = string.ascii_uppercase + "234567"


@given(kid=st.sampled_from(sorted(KEYS)), code_id=st.binary(min_size=16, max_size=16))
def test_round_trip(kid: int, code_id: bytes) -> None:
    body = encode_token(kid, KEYS[kid], code_id)
    assert len(body) == TOKEN_CHARS and set(body) <= set(B32)
    token = decode_token(body, KEYS.get)
    assert (token.kid, token.code_id) == (kid, code_id)
    # Case-insensitive: a hand-typed lowercase link resolves to the same code.
    assert decode_token(body.lower(), KEYS.get) == token


@settings(max_examples=300)
@given(
    code_id=st.binary(min_size=16, max_size=16),
    pos=st.integers(min_value=0, max_value=TOKEN_CHARS - 1),
    replacement=st.sampled_from(B32),
)
def test_any_changed_character_is_rejected(code_id: bytes, pos: int, replacement: str) -> None:
    body = encode_token(1, KEYS[1], code_id)
    if body[pos] == replacement:
        replacement = B32[(B32.index(replacement) + 1) % len(B32)]
    tampered = body[:pos] + replacement + body[pos + 1 :]
    c = classify(code_url("HTTPS", "RC.EXAMPLE.COM", tampered), HOSTS, KEYS.get)
    assert c.verdict == "ours_invalid"
    assert c.reason in {"bad_tag", "unknown_key", "malformed"}


@given(st.text(max_size=300))
def test_classify_never_raises(text: str) -> None:
    c = classify(text, HOSTS, KEYS.get)
    assert c.verdict in {"ours", "ours_invalid", "foreign_url", "gtin", "text"}


@given(st.text(alphabet=B32 + "abc=-_/ ", max_size=60))
def test_garbage_after_our_prefix_is_never_ours(body: str) -> None:
    # Random text has one chance in 2^64 of carrying a valid tag: it is refused, with a
    # reason, unless white space makes it plain text (which is never opened as ours).
    text = "HTTPS://RC.EXAMPLE.COM/C/" + body
    c = classify(text, HOSTS, KEYS.get)
    if " " in text.strip():
        assert c.verdict == "text"
    else:
        assert c.verdict == "ours_invalid"
        assert c.reason in {"malformed", "unknown_key", "bad_tag"}


@given(code_id=st.binary(min_size=16, max_size=16), last=st.sampled_from(B32))
def test_only_the_canonical_last_character_is_accepted(code_id: bytes, last: str) -> None:
    # The last character carries 3 bits of the tag and 2 padding bits, which must be 0:
    # of the 4 characters that decode to the same bytes, only one spelling is the code.
    body = encode_token(1, KEYS[1], code_id)
    tampered = body[:-1] + last
    if last == body[-1]:
        assert decode_token(tampered, KEYS.get).code_id == code_id
    elif B32.index(last) & 3:
        with pytest.raises(TokenError) as err:
            decode_token(tampered, KEYS.get)
        assert (err.value.reason, str(err.value)) == ("malformed", "non-canonical base32")
    else:  # canonical, but other tag bits
        with pytest.raises(TokenError) as err:
            decode_token(tampered, KEYS.get)
        assert err.value.reason == "bad_tag"


def test_signs_spaces_and_underscores_are_not_base32() -> None:
    # int(x, 32) would accept some of these; the alphabet check must not.
    body = encode_token(1, KEYS[1], bytes(16))
    for bad in ("+" + body[1:], body[:10] + "_" + body[11:], body[:10] + "0" + body[11:]):
        with pytest.raises(TokenError) as err:
            decode_token(bad, KEYS.get)
        assert err.value.reason == "malformed"

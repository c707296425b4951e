"""The shortcut for the canonical spelling gives exactly ``classify``'s answer, or none."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaycode.codes.canonical import canonical_prefix, classify_canonical
from relaycode.codes.classify import classify
from relaycode.codes.tokens import code_url, encode_token

KEYS = {1: b"k" * 32}
HOST = "RC-PROD.EXAMPLE.COM:8443"
PREFIX = canonical_prefix("HTTPS", HOST)
TEXT = code_url("HTTPS", HOST, encode_token(1, KEYS[1], bytes(range(16))))
BODY = TEXT.rsplit("/", 1)[1]
HOSTILE = string.ascii_letters + string.digits + "\\@%:/?#.[]-_ \t\n\r\x00é"


def _agrees(text: str) -> bool:
    fast = classify_canonical(text, PREFIX, KEYS.get)
    return fast is None or fast == classify(text, frozenset({HOST}), KEYS.get)


@pytest.mark.parametrize(
    ("scheme", "host"),
    [("HTTPS", "RC.TEST"), ("HTTPS", HOST), ("HTTP", "LOCALHOST:8000"), ("HTTPS", "A1.B-2.IO")],
)
def test_plain_hosts_get_the_shortcut(scheme: str, host: str) -> None:
    assert canonical_prefix(scheme, host) == f"{scheme}://{host}/C/"


@pytest.mark.parametrize(
    ("scheme", "host"),
    [
        ("HTTPS", "127.0.0.1"),  # an IPv4 address: parsers normalise its spelling
        ("HTTPS", "0X7F.1"),  # …including hex and short forms
        ("HTTPS", "RC.1"),  # a last label that is a number makes the host IPv4
        ("HTTPS", "RC.TEST."),  # trailing dot
        ("HTTPS", "RC..TEST"),
        ("HTTPS", "RC.TEST:443"),  # the default port is dropped by parsers
        ("HTTP", "RC.TEST:80"),
        ("HTTPS", "RC.TEST:0443"),  # leading zero
        ("HTTPS", "RC.TEST:99999"),  # out of range
        ("HTTPS", "XN--80AK6AA92E.COM"),  # punycode is validated by parsers
        ("HTTPS", "RC_TEST.COM"),
        ("HTTPS", "[::1]:8443"),
        ("HTTPS", "-RC.TEST"),
        ("HTTPS", "rc.test"),  # we print upper case only
        ("FTP", "RC.TEST"),
        ("HTTPS", "USER@RC.TEST"),
    ],
)
def test_other_hosts_do_not(scheme: str, host: str) -> None:
    assert canonical_prefix(scheme, host) is None


def test_the_canonical_text_is_answered_as_classify_would() -> None:
    fast = classify_canonical(TEXT, PREFIX, KEYS.get)
    assert fast is not None and fast.verdict == "ours"
    assert fast == classify(TEXT, frozenset({HOST}), KEYS.get)
    forged = TEXT[:-2] + ("A" if TEXT[-2] != "A" else "B") + TEXT[-1]
    bad = classify_canonical(forged, PREFIX, KEYS.get)
    assert bad is not None and bad.reason == "bad_tag"
    assert bad == classify(forged, frozenset({HOST}), KEYS.get)
    assert classify_canonical(TEXT, None, KEYS.get) is None  # no prefix: no shortcut


@pytest.mark.parametrize(
    "text",
    [
        TEXT.lower(),
        TEXT + "/",
        TEXT + "?x=1",
        TEXT + "#x",
        " " + TEXT,
        TEXT[:-1],
        TEXT.replace("HTTPS://", "HTTPS://EVIL.EXAMPLE\\@"),
        TEXT.replace("HTTPS://", "HTTPS://USER@"),
        TEXT.replace(":8443", ":8443\\@EVIL.EXAMPLE"),
        TEXT.replace(":8443", ":443"),
        TEXT.replace("/C/", "/C/%41"),
        TEXT.replace("/C/", "/C/\t"),
        TEXT.replace("/C/", "/%43/"),
        TEXT.replace("/C/", "/c/"),
        TEXT.replace(BODY, BODY[:20] + "\n" + BODY[21:]),
        TEXT.replace(BODY, BODY[:20] + "0" + BODY[21:]),  # not base32
        TEXT.replace(".COM", ".COM."),
        "HTTP" + TEXT[5:],
    ],
)
def test_any_other_spelling_takes_the_full_parse(text: str) -> None:
    assert classify_canonical(text, PREFIX, KEYS.get) is None


@settings(max_examples=400)
@given(
    pos=st.integers(min_value=0, max_value=len(TEXT)),
    edit=st.sampled_from(["insert", "replace", "delete"]),
    char=st.sampled_from(HOSTILE),
)
def test_mutations_never_disagree_with_classify(pos: int, edit: str, char: str) -> None:
    if edit == "insert":
        text = TEXT[:pos] + char + TEXT[pos:]
    elif edit == "replace":
        text = TEXT[:pos] + char + TEXT[pos + 1 :]
    else:
        text = TEXT[:pos] + TEXT[pos + 1 :]
    assert _agrees(text)

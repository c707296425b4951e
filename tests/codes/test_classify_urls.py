"""classify() reads a URL as a browser does (WHATWG), and its fast path for our own codes
never disagrees with the full parse."""

from __future__ import annotations

import re
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from relaycode.codes import classify as classify_module
from relaycode.codes.classify import classify
from relaycode.codes.tokens import encode_token
from relaycode.config import Settings

KEY = bytes(range(32))
KEYS = {1: KEY}.get
TOKEN = encode_token(1, KEY, bytes.fromhex("00112233445566778899aabbccddeeff"))
HOSTS = frozenset({"RC.EXAMPLE.COM", "127.0.0.1:8000"})


def test_a_backslash_before_the_at_sign_ends_the_host() -> None:
    """The issue's probe: urlsplit said "our host", a browser opens evil.example."""
    c = classify(f"HTTP://evil.example\\@RC.EXAMPLE.COM/C/{TOKEN}", HOSTS, KEYS)
    assert (c.verdict, c.host) == ("foreign_url", "evil.example")
    assert c.url == f"http://evil.example/@RC.EXAMPLE.COM/C/{TOKEN}"
    c = classify("https://evil.example\\@good.example/", HOSTS, KEYS)
    assert (c.verdict, c.host, c.url) == (
        "foreign_url",
        "evil.example",
        "https://evil.example/@good.example/",
    )


def test_our_codes_stay_ours_however_a_browser_would_still_reach_them() -> None:
    for text in [
        f"HTTPS://RC.EXAMPLE.COM/C/{TOKEN}",
        f"https://rc.example.com/c/{TOKEN.lower()}/",
        f"HTTP://RC.EXAMPLE.COM:80/C/{TOKEN}",
        f"HTTPS://RC.EXAMPLE.COM:443/C/{TOKEN}",
        f"HTTPS://RC.EXAMPLE.COM\\C\\{TOKEN}",
        f"HTTPS:RC.EXAMPLE.COM/C/{TOKEN}",
        f"HTTP://127.0.0.1:8000/C/{TOKEN}",
        f"HTTP://0x7f.1:8000/C/{TOKEN}",  # the browser opens 127.0.0.1:8000
    ]:
        assert classify(text, HOSTS, KEYS).verdict == "ours", text


def test_user_info_on_our_host_is_never_a_valid_code() -> None:
    c = classify(f"https://rc.example.com@RC.EXAMPLE.COM/C/{TOKEN}", HOSTS, KEYS)
    assert (c.verdict, c.reason) == ("ours_invalid", "malformed")


def test_white_space_inside_and_non_web_schemes_are_text() -> None:
    for text in [
        f"HTTPS://RC.EXAMPLE.COM/C/{TOKEN[:9]}\t{TOKEN[9:]}",
        "https://evil.exa\nmple/",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://evil.example%2Fgood.example/",
        "http://1.2.3.4.5/",
    ]:
        assert classify(text, HOSTS, KEYS).verdict == "text", text


def test_ip_addresses_are_shown_as_the_browser_normalises_them() -> None:
    for text in ["http://0x7f.1/", "http://2130706433/", "http://0177.0.0.1/"]:
        assert classify(text, HOSTS, KEYS).host == "127.0.0.1", text
    assert classify("http://[0:0::1]:8080/", HOSTS, KEYS).host == "[::1]"


def test_look_alike_hosts_are_named_by_their_xn_form() -> None:
    assert classify("https://ɑpple.com/", HOSTS, KEYS).host == "xn--pple-p5b.com"
    assert classify(f"https://rс.example.com/C/{TOKEN}", HOSTS, KEYS).host == (
        "xn--r-7tb.example.com"  # a Cyrillic "с" imitating our own host
    )
    assert classify("https://例え.jp/", HOSTS, KEYS).host == "例え.jp"


def test_settings_write_our_hosts_as_the_parser_does() -> None:
    s = Settings(public_url="https://RC.Example.COM:443/", host_aliases=["Old.Example:443"])
    assert s.public_host == "RC.EXAMPLE.COM" and s.public_scheme == "HTTPS"
    assert s.our_hosts == frozenset({"RC.EXAMPLE.COM", "OLD.EXAMPLE"})
    assert Settings(public_url="http://127.0.0.1:8701").public_host == "127.0.0.1:8701"


_PIECES = st.tuples(
    st.sampled_from(["https", "HTTPS", "http", "HtTp"]),
    st.sampled_from(["://", ":", ":\\\\", ":/\\"]),
    st.sampled_from(["", "x@", "RC.EXAMPLE.COM@", "evil.example\\@", ":@"]),
    st.sampled_from(
        [
            "RC.EXAMPLE.COM",
            "rc.example.com",
            "RC.EXAMPLE.COM.",
            "127.0.0.1",
            "0x7f.1",
            "RC.EXAMPLE.COM.EVIL.TEST",
            "rс.example.com",
            "RC%2EEXAMPLE.COM",
        ]
    ),
    st.sampled_from(["", ":443", ":80", ":8000", ":08000", ":8443"]),
    st.sampled_from(["/C/", "/c/", "\\C\\", "/C/./", "/X/../C/", "/C"]),
    st.sampled_from([TOKEN, TOKEN.lower(), TOKEN[:-1] + "A", TOKEN[:20]]),
    st.sampled_from(["", "/", "//", "?x=1", "#f", "\\"]),
)


@settings(max_examples=400, deadline=None)
@given(_PIECES)
def test_fast_path_and_full_parse_always_agree(pieces: tuple[str, ...]) -> None:
    text = "".join(pieces)
    fast = classify(text, HOSTS, KEYS)
    with mock.patch.object(classify_module, "_OUR_SHAPE", re.compile(r"(?!)")):
        full = classify(text, HOSTS, KEYS)
    assert fast == full, text

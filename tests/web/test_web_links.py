"""The foreign-link check behind the /out interstitial (web/links.py)."""

from __future__ import annotations

import pytest

from relaycode.web.links import check_link


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "//evil.example/",
        "ftp://files.example/x",
    ],
)
def test_refuses_other_schemes(url: str) -> None:
    check = check_link(url)
    assert not check.openable
    assert check.problem == "scheme"


@pytest.mark.parametrize(
    "url", ["java\tscript:alert(1)", "https://exa mple.com/", "https://a.example/\x00", "https://"]
)
def test_refuses_malformed(url: str) -> None:
    check = check_link(url)
    assert not check.openable
    assert check.problem == "malformed"


def test_empty() -> None:
    assert check_link("  ").problem == "empty"


def test_plain_https() -> None:
    check = check_link("https://www.Example.com:8443/a?b=c")
    assert check.openable
    assert check.host_ascii == "www.example.com"
    assert check.host_unicode == "www.example.com"
    assert check.port == 8443
    assert not check.is_idn
    assert not check.has_userinfo


def test_punycode_host_is_shown_both_ways() -> None:
    check = check_link("https://xn--80ak6aa92e.com/login")
    assert check.openable
    assert check.host_ascii == "xn--80ak6aa92e.com"
    assert check.host_unicode == "аррӏе.com"  # Cyrillic look-alike of apple.com
    assert check.is_idn
    assert check.lookalike and check.display_host == "xn--80ak6aa92e.com"


def test_honest_international_names_are_shown_in_their_script() -> None:
    for url, host in [
        ("https://例え.jp/", "例え.jp"),
        ("https://中文网.中国/", "中文网.中国"),
        ("http://bücher.example/", "bücher.example"),
    ]:
        check = check_link(url)
        assert check.is_idn and not check.lookalike, url
        assert check.display_host == host


def test_mixed_latin_and_cyrillic_in_one_label_is_a_lookalike() -> None:
    check = check_link("https://pаypal.com/")  # Cyrillic "а"
    assert check.lookalike and check.display_host.startswith("xn--")


def test_unicode_host_gets_its_xn_form() -> None:
    check = check_link("http://bücher.example/")
    assert check.host_unicode == "bücher.example"
    assert check.host_ascii == "xn--bcher-kva.example"
    assert check.is_idn


def test_userinfo_trick_names_the_real_host() -> None:
    check = check_link("https://paypal.com@evil.example/")
    assert check.openable
    assert check.host_unicode == "evil.example"
    assert check.has_userinfo

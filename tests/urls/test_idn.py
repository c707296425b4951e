"""The IDN display policy (relaycode.urls.idn): which hosts are shown in Unicode."""

from __future__ import annotations

import pytest

from relaycode.urls.idn import HostView, view_host
from relaycode.urls.whatwg import parse


def view(host: str, protected: frozenset[str] = frozenset()) -> HostView:
    url = parse(f"https://{host}/")
    assert url is not None, host
    return view_host(url.hostname, protected)


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("ɑpple.com", "lookalike_of"),  # Latin small alpha: IPA, and imitates apple.com
        ("ɑbcdef.com", "disallowed"),  # the same letter where no top domain is imitated
        ("аррӏе.com", "lookalike_of"),  # all-Cyrillic
        ("аррӏеуоо.com", "whole_script"),  # all Cyrillic look-alikes, imitating nothing
        ("раураl.com", "lookalike_of"),  # Cyrillic with a Latin "l"
        ("pаypаl-shop.com", "mixed_script"),
        ("faceboók.com", "lookalike_of"),  # a single accent on a top domain
        ("gıthub.com", "lookalike_of"),  # dotless i
        ("www.аpple.com", "lookalike_of"),
        ("gօօgle.com", "lookalike_of"),  # Armenian "օ"
        ("ébc中文.com", "mixed_script"),  # only ASCII Latin may sit beside CJK
        ("faß.de", "deviation"),
        ("a·b.com", "invalid"),
        ("i❤.ws", "invalid"),
        ("зз.com", "digit_lookalike"),
        ("1२3.com", "mixed_numbers"),
        ("þorn.com", "tld_specific"),
        ("xn--80ak6aa92e.com", "lookalike_of"),  # the same, typed in its xn-- form
    ],
)
def test_lookalikes_are_shown_in_xn_form(host: str, reason: str) -> None:
    v = view(host)
    assert v.reason == reason
    assert v.lookalike and "xn--" in v.shown
    assert v.shown.isascii()


@pytest.mark.parametrize(
    "host",
    [
        "中国.cn",
        "例え.jp",
        "中文网.中国",
        "bücher.example",
        "münchen.de",
        "한국.kr",
        "ドメイン名例.jp",
        "пример.com",
        "москва.рф",
        "аррӏе.ru",
        "παράδειγμα.com",
        "abc中文.com",
        "l·l.cat",
        "þorn.is",
        "xn--fiqs8s.cn",
    ],
)
def test_honest_names_are_shown_in_their_script(host: str) -> None:
    v = view(host)
    assert v.reason is None, v
    assert v.shown == v.unicode and not v.shown.isascii()


def test_faceboók_is_a_lookalike_but_an_accent_elsewhere_is_not() -> None:
    """Chromium's step 13: a diacritic alone is fine unless it imitates a top domain."""
    assert view("faceboók.com").imitates == "facebook.com"
    assert view("faceboók.example").reason is None
    assert view("facebook.com").reason is None
    assert view("pay.facebook.com").reason is None


def test_our_own_host_is_protected_too() -> None:
    ours = frozenset({"rc.example.com"})
    assert view("rç.example.com", ours).imitates == "rc.example.com"
    assert view("rç.example.com").reason is None  # unknown to the built-in list
    assert view("rс.example.com", ours).imitates == "rc.example.com"  # Cyrillic "с"
    assert view("rc.example.com", ours).reason is None


def test_plain_ascii_and_broken_punycode_are_shown_as_they_are() -> None:
    assert view("www.example.com").shown == "www.example.com"
    v = view("xn--invalid-zz.com")
    assert v.shown == "xn--invalid-zz.com" and not v.is_idn


def test_only_the_suspicious_label_stays_in_xn_form() -> None:
    v = view("аррӏеуоо.中国")
    assert v.shown == v.ascii.split(".")[0] + ".中国"

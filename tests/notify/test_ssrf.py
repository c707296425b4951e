"""Which webhook URLs and addresses are refused (no network: addresses are given)."""

from __future__ import annotations

import random

import pytest

from relaycode.notify.outbox import backoff
from relaycode.notify.ssrf import (
    AddressRefused,
    BadWebhookUrl,
    is_public,
    parse_webhook_url,
    pick_address,
)

REFUSED = [
    "127.0.0.1",
    "127.1.2.3",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "224.0.1.1",
    "192.0.2.1",
    "198.18.0.1",
    "240.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12::1",
    "ff02::1",
    "ff0e::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "2002:7f00:1::",
    "2002:a00:1::",
    "64:ff9b::a00:1",
    "2001:db8::1",
]
ALLOWED = ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses(address: str) -> None:
    import ipaddress

    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses(address: str) -> None:
    import ipaddress

    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://[::1]:8080/",
        "http://[::ffff:7f00:1]/",
        "http://localhost:8000/",
        "http://api.localhost/",
        "http://printer.local/",
        "http://db.internal/",
        "http://intranet/",
        "https://u:p@example.com/",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "gopher://example.com/",
        "",
    ],
)
def test_urls_refused_when_saved(url: str) -> None:
    with pytest.raises(BadWebhookUrl):
        parse_webhook_url(url, allow_private=False)


def test_urls_accepted_and_normalised() -> None:
    t = parse_webhook_url("HTTPS://Hooks.Example.COM:443/in?x=1", allow_private=False)
    assert t.url.href == "https://hooks.example.com/in?x=1" and t.port == 443
    assert parse_webhook_url("http://127.0.0.1:9/x", allow_private=True).port == 9


def test_every_resolved_address_must_be_public() -> None:
    target = parse_webhook_url("https://hooks.example.com/", allow_private=False)
    assert pick_address(target, allow_private=False, resolver=lambda h, p: ["8.8.8.8"]) == "8.8.8.8"
    answers: list[list[str]] = [["8.8.8.8", "10.0.0.1"], ["::1"], []]
    for answer in answers:

        def resolver(_h: str, _p: int, a: list[str] = answer) -> list[str]:
            return a

        with pytest.raises(AddressRefused):
            pick_address(target, allow_private=False, resolver=resolver)

    def broken(_h: str, _p: int) -> list[str]:
        raise OSError("no DNS")

    with pytest.raises(AddressRefused, match="cannot resolve"):
        pick_address(target, allow_private=False, resolver=broken)


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    for n, full in [(1, 60), (2, 120), (3, 240), (8, 3600), (30, 3600)]:
        delays = [backoff(n, 60, 3600, rng) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert max(delays) - min(delays) > full / 10  # really jittered

"""The client address: X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

import pytest

from relaycode.config import Settings
from relaycode.identity.client_address import client_address, parse_networks, rate_key

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8"])


@pytest.mark.parametrize(
    ("peer", "xff", "expected"),
    [
        # Not from our proxy: the header is the client's own words.
        ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),
        # Our proxy appended what it saw; the left part was written by the client.
        ("10.0.0.2", ["1.2.3.4, 198.51.100.9"], "198.51.100.9"),
        ("10.0.0.2", ["1.2.3.4", "198.51.100.9"], "198.51.100.9"),  # two header lines
        # Two proxies of ours in a row: the right-most hop that is not ours.
        ("10.0.0.2", ["1.2.3.4, 198.51.100.9, 10.0.0.3"], "198.51.100.9"),
        # Every hop is ours: the left-most is as far as we can see.
        ("10.0.0.2", ["10.0.0.5, 10.0.0.3"], "10.0.0.5"),
        ("10.0.0.2", [], "10.0.0.2"),
        # What proxies also write: ports, brackets, IPv6, IPv4-mapped IPv6.
        ("10.0.0.2", ["198.51.100.9:4711"], "198.51.100.9"),
        ("10.0.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("fd00::1", ["2001:db8::2"], "2001:db8::2"),
        ("::ffff:10.0.0.2", ["198.51.100.9"], "198.51.100.9"),
        # Not an address where our proxy writes one: stop at the last hop we trust.
        ("10.0.0.2", ["198.51.100.9, garbage"], "10.0.0.2"),
        (None, ["198.51.100.9"], "unknown"),
        ("testclient", ["198.51.100.9"], "testclient"),
    ],
)
def test_client_address(peer: str | None, xff: list[str], expected: str) -> None:
    assert client_address(peer, xff, PROXIES) == expected


def test_nothing_trusted_by_default() -> None:
    assert client_address("127.0.0.1", ["198.51.100.9"], ()) == "127.0.0.1"


def test_an_ipv6_client_counts_as_its_64() -> None:
    assert (
        rate_key("2001:db8:1:2:3:4:5:6")
        == rate_key("2001:db8:1:2:ffff::1")
        == ("2001:db8:1:2::/64")
    )
    assert rate_key("198.51.100.9") == "198.51.100.9"


def test_trusted_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYCODE_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5")
    assert Settings().trusted_proxies == ["10.0.0.0/8", "192.168.1.5"]
    monkeypatch.setenv("RELAYCODE_TRUSTED_PROXIES", '["fd00::/8"]')
    assert Settings().trusted_proxies == ["fd00::/8"]
    with pytest.raises(ValueError, match="not an address or a CIDR"):
        parse_networks(["10.0.0.0/33"])

"""The caller's address, as far as it can be trusted.

``X-Forwarded-For`` is written by whoever sent the request, so it is believed only when
the peer is one of our own proxies (``RELAYCODE_TRUSTED_PROXIES``), and then read from
the right: each trusted proxy appends the address it saw, so the right-most hop that is
not one of ours is the client. Anything to the left of it was written by the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"RELAYCODE_TRUSTED_PROXIES: {cidr!r} is not an address or a CIDR"
            ) from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """An address as proxies write it: ``1.2.3.4``, ``1.2.3.4:567``, ``[::1]:567``, ``::1``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]  # IPv4 with a port
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address in net for net in trusted)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy."""
    if peer is None:
        return "unknown"
    current = parse_address(peer)
    if not _trusted(current, trusted):
        return str(current) if current is not None else peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break  # not an address: our proxy did not write it, stop at the last we trust
        current = address
        if not _trusted(address, trusted):
            break
    return str(current)


def rate_key(address: str) -> str:
    """The bucket an address counts in: an IPv6 client holds a whole /64, not one address."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address

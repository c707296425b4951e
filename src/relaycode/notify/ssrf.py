"""Webhook URLs may not reach inside the network (server-side request forgery).

A merchant names a URL and our server POSTs to it: pointed at ``http://127.0.0.1:5432``
or ``http://169.254.169.254/`` (a cloud's metadata service) it would probe or attack
what only the server can reach. So:

1. **When a webhook is made**, its URL is parsed as a browser parses it
   (urls/whatwg.py): ``http``/``https`` only, no user name or password, a host; an IP
   address (in any spelling the parser accepts: ``0x7f.1``, ``[::ffff:127.0.0.1]``) or a
   local-only name (``localhost``, ``*.localhost``, ``*.local``, ``*.internal``) must be public.
2. **At every delivery** the host name is resolved, *every* address it resolves to must
   be public, and the request connects to that checked address (the Host header and
   TLS server name stay the URL's): a name that resolved publicly when it was saved
   and privately now (DNS rebinding) is refused, and no second lookup happens between
   the check and the connection.

Public means globally routable: not loopback, private (RFC 1918, ULA), link-local,
shared (CGNAT), multicast, reserved, unspecified or documentation space, for IPv4 and
IPv6, including IPv4 addresses embedded in IPv6 (mapped, 6to4, Teredo, NAT64).
``RELAYCODE_WEBHOOK_ALLOW_PRIVATE=true`` turns all of this off, for development and
tests against a receiver on this machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

from relaycode.errors import InvalidInput
from relaycode.urls import whatwg

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class BadWebhookUrl(InvalidInput):
    code = "bad_webhook_url"


class AddressRefused(Exception):
    """A delivery's host resolves to an address we do not connect to (or to none)."""


@dataclass(frozen=True)
class Target:
    url: whatwg.WebURL
    host: str  # the name (or address) without brackets, for DNS and the Host header
    port: int


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address
    for net in _NAT64:
        if ip in net:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None and not is_public(inner):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def parse_webhook_url(text: str, *, allow_private: bool) -> Target:
    """The URL as we will store and call it, or ``BadWebhookUrl`` (422)."""
    url = whatwg.parse(text.strip())
    if url is None or url.protocol not in ("http:", "https:"):
        raise BadWebhookUrl("the webhook URL must be an http:// or https:// address")
    if url.has_credentials:
        raise BadWebhookUrl("put no user name or password in a webhook URL")
    host = url.hostname.strip("[]")
    if not host:
        raise BadWebhookUrl("the webhook URL has no host")
    if len(url.href) > 2048:
        raise BadWebhookUrl("the webhook URL is too long")
    if not allow_private:
        ip = _ip(host)
        name = host.rstrip(".").lower()
        local = name == "localhost" or name.endswith(_LOCAL_SUFFIXES) or "." not in name
        if (ip is not None and not is_public(ip)) or (ip is None and local):
            raise BadWebhookUrl(
                "webhook URLs may not point at this server or a private network",
                details={"host": host},
            )
    port = url.port or (443 if url.protocol == "https:" else 80)
    return Target(url=url, host=host, port=port)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def pick_address(target: Target, *, allow_private: bool, resolver: Resolver) -> str:
    """The address to connect to for this delivery, checked now (see the module doc)."""
    literal = _ip(target.host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolver(target.host, target.port)
        except (OSError, UnicodeError) as exc:
            raise AddressRefused(f"cannot resolve {target.host}: {exc}") from None
    if not addresses:
        raise AddressRefused(f"{target.host} resolves to no address")
    if not allow_private:
        bad = [a for a in addresses if (ip := _ip(a)) is None or not is_public(ip)]
        if bad:
            raise AddressRefused(f"{target.host} resolves to a non-public address ({bad[0]})")
    return addresses[0]

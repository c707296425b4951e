"""URLs parsed the way a browser parses them (the WHATWG URL Standard), through ada.

Python's ``urlsplit`` is not how browsers read a URL: it keeps ``\\`` as an ordinary
character (a browser reads ``https://evil.example\\@good.example/`` as host
``evil.example``), does not strip tabs and newlines, does not decode ``0x7f.1`` as an IPv4
address and does not apply UTS #46 to the host. Anything we decide about a link that a
browser may open (is it ours, which host does it go to, what do we let the user open) is
decided on this parse, and the link we hand back is the parser's ``href``, so the verdict,
the host shown and the page opened are one and the same.

ada (the parser Node.js uses) is called through its C API, which ``ada_url`` exposes:
one parse, a handful of getters, no Python-level attribute dispatch. That keeps a parse
at a few microseconds on the scan path (``ada_url.parse_url`` costs ~20 µs).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ada_url._ada_wrapper import ffi, lib  # type: ignore[import-not-found]

# A text with white space or control characters is never a link we open: a browser would
# silently drop tabs and newlines (and percent-encode the rest), so what it opens is not
# what the person was shown.
REFUSED_CHARS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")

# Host types reported by ada (ada_url.HostType): a name, an IPv4 or an IPv6 address.
HOST_DOMAIN, HOST_IPV4, HOST_IPV6 = 0, 1, 2


class WebURL(NamedTuple):
    """One parsed URL; every field is what ``new URL(text)`` in a browser reports.

    A named tuple rather than a dataclass: it is built on the scan path, and is cheaper.
    """

    href: str
    protocol: str  # with its colon, lower case: "https:"
    hostname: str  # ASCII (xn--) form, lower case; "[::1]" for IPv6
    host: str  # hostname plus ":port" when the port is not the scheme's default
    port: int | None
    pathname: str
    has_credentials: bool
    host_type: int

    @property
    def scheme(self) -> str:
        return self.protocol[:-1]


_OMITTED = 0xFFFFFFFF  # ada's "no such component"


def parse(text: str) -> WebURL | None:
    """The browser's reading of an absolute URL, or None where ``new URL(text)`` throws."""
    raw = text.encode("utf-8", "surrogatepass")
    url = lib.ada_parse(raw, len(raw))
    try:
        if not lib.ada_is_valid(url):
            return None
        value = lib.ada_get_href(url)
        href: str = ffi.unpack(value.data, value.length).decode("utf-8")
        # The components struct points into the parsed URL: read it before freeing it.
        c = lib.ada_get_components(url)
        proto_end, host_start, host_end = c.protocol_end, c.host_start, c.host_end
        port_no, path_start, path_end = c.port, c.pathname_start, min(c.search_start, c.hash_start)
    finally:
        lib.ada_free(url)
    # Every component is a slice of href (ada's url_aggregator layout): one copy out of
    # C instead of one per getter.
    credentials = href[host_start : host_start + 1] == "@"
    hostname = href[host_start + credentials : host_end]
    port = None if port_no == _OMITTED else int(port_no)
    if hostname.startswith("["):
        host_type = HOST_IPV6
    elif hostname.rpartition(".")[2].isdigit():
        host_type = HOST_IPV4  # a domain never ends in a number (WHATWG host parser)
    else:
        host_type = HOST_DOMAIN
    return WebURL(
        href=href,
        protocol=href[:proto_end],
        hostname=hostname,
        host=hostname if port is None else f"{hostname}:{port}",
        port=port,
        pathname=href[path_start:path_end],
        has_credentials=credentials,
        host_type=host_type,
    )


def canonical_host(scheme: str, host: str) -> str:
    """``host`` (a name with an optional port) as the browser writes it in a ``scheme`` URL.

    Used for the hosts we call ours, so that they compare equal to a parsed ``host``:
    ``RC.Example.com:443`` under https is ``rc.example.com``. Unparseable input is
    returned lower-cased (it then matches nothing a browser could open).
    """
    parsed = parse(f"{scheme.lower()}://{host}/")
    return parsed.host if parsed is not None and parsed.host else host.lower()

"""What a foreign link really points at, for the interstitial (Fig. 16, DESIGN §3.7).

Pure: no I/O. The link is read with the WHATWG parser (``relaycode.urls.whatwg``), as
the browser will read it, and the page offers to open the parser's ``href``, never the raw
text: the host shown and the page opened cannot differ. Only ``http``/``https`` links
are ever offered; anything else (``javascript:``, ``data:``, ``file:``, ...) is refused and
shown as text. Hosts are shown by the IDN display policy (``relaycode.urls.idn``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from relaycode.urls import whatwg
from relaycode.urls.idn import HostView, view_host

MAX_URL = 4096
_OPENABLE = ("http:", "https:")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", re.ASCII)


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """``problem`` is None when the link may be opened, else a stable reason code."""

    url: str  # the href we open (the raw text when refused)
    problem: str | None = None
    scheme: str = ""
    view: HostView | None = None
    port: int | None = None
    has_userinfo: bool = False

    @property
    def openable(self) -> bool:
        return self.problem is None

    @property
    def host_ascii(self) -> str:
        return self.view.ascii if self.view else ""

    @property
    def host_unicode(self) -> str:
        return self.view.unicode if self.view else ""

    @property
    def is_idn(self) -> bool:
        """True when the host is written differently in Unicode and in ``xn--`` form."""
        return self.view is not None and self.view.is_idn

    @property
    def lookalike(self) -> bool:
        """True when a label is kept in ``xn--`` form (it could pass for another name)."""
        return self.view is not None and self.view.lookalike

    @property
    def imitates(self) -> str | None:
        return self.view.imitates if self.view else None

    @property
    def display_host(self) -> str:
        return self.view.shown if self.view else ""


def check_link(text: str, protected: frozenset[str] = frozenset()) -> LinkCheck:
    """``protected``: our own host names, which a look-alike must not imitate."""
    url = text.strip()
    if not url:
        return LinkCheck(url, "empty")
    if len(url) > MAX_URL or whatwg.REFUSED_CHARS.search(url):
        return LinkCheck(url[:MAX_URL], "malformed")
    scheme = _SCHEME.match(url)
    if scheme is None:
        return LinkCheck(url, "scheme")  # "//evil.example/", "www.example.com", ...
    parsed = whatwg.parse(url)
    if parsed is None:
        return LinkCheck(url, "malformed", scheme=scheme.group(1).lower())
    if parsed.protocol not in _OPENABLE:
        return LinkCheck(url, "scheme", scheme=parsed.scheme)
    if not parsed.hostname:
        return LinkCheck(url, "malformed", scheme=parsed.scheme)
    if parsed.host_type == whatwg.HOST_DOMAIN:
        view = view_host(parsed.hostname, protected)
    else:  # an IP address: nothing to decode
        view = HostView(parsed.hostname, parsed.hostname, parsed.hostname)
    return LinkCheck(
        url=parsed.href,
        scheme=parsed.scheme,
        view=view,
        port=parsed.port,
        has_userinfo=parsed.has_credentials,
    )

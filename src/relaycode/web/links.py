"""What a foreign link really points at, for the interstitial (Fig. 16, DESIGN §3.7).

Pure: no I/O. Only ``http``/``https`` links are ever offered to be opened; anything
else (``javascript:``, ``data:``, ``file:``, ...) is refused and shown as text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 4096
_OPENABLE = ("http", "https")


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """``problem`` is None when the link may be opened, else a stable reason code."""

    url: str
    problem: str | None = None
    scheme: str = ""
    host_unicode: str = ""
    host_ascii: str = ""
    port: int | None = None
    has_userinfo: bool = False

    @property
    def openable(self) -> bool:
        return self.problem is None

    @property
    def is_idn(self) -> bool:
        """True when the host is written differently in Unicode and in ``xn--`` form."""
        return self.host_unicode != self.host_ascii

    @property
    def lookalike(self) -> bool:
        """True when the Unicode spelling could pass for another (e.g. Cyrillic "аррӏе").

        Then, like browsers, we show the ``xn--`` spelling as the destination and the
        Unicode one only as what it imitates.
        """
        return any(_suspicious_label(label) for label in self.host_unicode.split("."))

    @property
    def display_host(self) -> str:
        return self.host_ascii if self.lookalike else self.host_unicode


# Scripts whose letters pass for Latin ones; mixing Latin with any other script in one
# label is suspicious too (Chrome's IDN display policy has the same two rules at heart).
_LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})
_NEUTRAL = frozenset({"DIGIT", "HYPHEN-MINUS"})


def _script(char: str) -> str:
    name = unicodedata.name(char, "UNKNOWN")
    first = name.split(" ")[0]
    if first in ("CJK", "HIRAGANA", "KATAKANA", "IDEOGRAPHIC"):
        return "HAN"  # Chinese and Japanese labels legitimately mix these
    return first


def _suspicious_label(label: str) -> bool:
    if label.isascii():
        return False
    scripts = {_script(c) for c in label} - _NEUTRAL
    return bool(scripts & _LOOKALIKE_SCRIPTS) or ("LATIN" in scripts and len(scripts) > 1)


def _label_to_unicode(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return label[4:].encode("ascii").decode("punycode")
        except (UnicodeError, ValueError):
            return label
    return label


def _label_to_ascii(label: str) -> str:
    if label.isascii():
        return label
    # Python's "idna" codec is IDNA 2003; enough to show what the browser will ask DNS for.
    return label.encode("idna").decode("ascii")


def check_link(text: str) -> LinkCheck:
    url = text.strip()
    if not url:
        return LinkCheck(url, "empty")
    if len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return LinkCheck(url[:MAX_URL], "malformed")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return LinkCheck(url, "malformed")
    scheme = parts.scheme.lower()
    if scheme not in _OPENABLE:
        return LinkCheck(url, "scheme", scheme=scheme)
    if not host:
        return LinkCheck(url, "malformed", scheme=scheme)
    labels = host.split(".")
    try:
        ascii_host = ".".join(_label_to_ascii(x) for x in labels).lower()
    except UnicodeError:
        return LinkCheck(url, "malformed", scheme=scheme)
    unicode_host = ".".join(_label_to_unicode(x) for x in ascii_host.split("."))
    return LinkCheck(
        url=url,
        scheme=scheme,
        host_unicode=unicode_host,
        host_ascii=ascii_host,
        port=port,
        has_userinfo="@" in parts.netloc,
    )

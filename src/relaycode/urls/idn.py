"""How a host is shown to a person: Chromium's IDN display policy, label by label.

A host arrives in its ASCII (``xn--``) form, as the WHATWG parser leaves it after UTS #46.
Each label is turned back into Unicode and shown that way only when it passes the checks
Chromium applies before showing Unicode in the address bar (chromium/src docs/idn.md);
otherwise the label stays in its ``xn--`` form and the host is flagged as a look-alike.

What we implement, in the order of that document (numbers are its steps):

2.  ToUnicode fails (IDNA 2008 via the ``idna`` package) -> ``invalid``.
3-4. A character outside the identifier "allowed" set -> ``disallowed``. Python has no
    UTS #39 Identifier_Status data, so ``_allowed_char`` approximates it: letters, marks
    and digits of the UAX #31 recommended scripts, minus the technical and historic
    blocks (IPA extensions such as ``ɑ``, phonetic extensions, Latin Extended-C/D/E,
    Greek Extended, Cyrillic Extended-A/B/C, ...) and Chromium's own removals.
    Deviation characters (ß ς ZWJ ZWNJ), þ/ð outside .is and ə outside .az likewise.
5.  Script mixing per the "Highly Restrictive" profile (``script.py``).
6.  Digits of two numbering systems; 10 whole-script confusables (``аррӏе.com``);
    11 labels of digits and digit look-alikes; 12 Chromium's "dangerous patterns".
13. The host's confusable skeleton equals that of a top domain, or of one of our own
    hosts, without being that domain (``faceboók.com``, ``gıthub.com``) -> ``lookalike_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import idna
from ada_url import idna_to_unicode

from relaycode.urls import script
from relaycode.urls.skeleton import imitated_domain


@dataclass(frozen=True, slots=True)
class HostView:
    """A host in its three spellings and the verdict of the display policy."""

    ascii: str  # what DNS is asked for, and what ``new URL(x).hostname`` says
    unicode: str  # every label decoded, as the host would look if shown naively
    shown: str  # what we display: Unicode labels where safe, ``xn--`` labels elsewhere
    reason: str | None = None  # why a label is kept in ``xn--`` form (None: all safe)
    imitates: str | None = None  # the well-known domain it is made to look like

    @property
    def lookalike(self) -> bool:
        return self.reason is not None

    @property
    def is_idn(self) -> bool:
        return self.ascii != self.unicode


_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")


def _to_unicode(label: str) -> tuple[str, bool]:
    """(the label's Unicode reading, whether it is a valid IDNA 2008 / UTS #46 label).

    ada's ToUnicode reads it the way the browser does (it accepts e.g. emoji); the
    ``idna`` package then checks that UTS #46 gives back the very same ``xn--`` label.
    """
    if not label.startswith("xn--"):
        return label, True
    unicode: str = idna_to_unicode(label)
    try:
        valid = idna.encode(unicode, uts46=True, transitional=False).decode() == label
    except (idna.IDNAError, UnicodeError, ValueError):
        valid = False
    return unicode, valid


def label_problem(label: str, tld: str) -> str | None:
    """Why the Unicode ``label`` must not be shown as such (None when it may)."""
    if label.isascii():
        return None
    if any(c in _DEVIATIONS for c in label):
        return "deviation"
    if not all(script.allowed_char(c) for c in label):
        return "disallowed"
    if len(label) > 1 and (
        (tld != "is" and ("þ" in label or "ð" in label)) or (tld != "az" and "ə" in label)
    ):
        return "tld_specific"
    if script.unsafe_middle_dot(label, tld):
        return "middle_dot"
    return script.mixing_problem(label, tld)


@lru_cache(maxsize=2048)
def view_host(ascii_host: str, protected: frozenset[str] = frozenset()) -> HostView:
    """How to show ``ascii_host`` (lower case, as parsed); ``protected`` are extra
    domains (ours) that a look-alike must not imitate, on top of the built-in list.

    Cached: the same hosts come back again and again, and the checks (the ``idna``
    package is pure Python) cost a few hundred microseconds on a cold host."""
    labels = ascii_host.split(".")
    decoded = [_to_unicode(label) for label in labels]
    unicode = ".".join(u for u, _ in decoded)
    if unicode == ascii_host:
        return HostView(ascii_host, unicode, ascii_host)
    tld = decoded[-1][0] or (decoded[-2][0] if len(decoded) > 1 else "")
    shown: list[str] = []
    reason: str | None = None
    for ascii_label, (label, valid) in zip(labels, decoded, strict=True):
        problem = label_problem(label, tld) if valid else "invalid"
        shown.append(ascii_label if problem else label)
        reason = reason or problem
    imitates = imitated_domain(unicode, protected)
    if imitates is not None:
        return HostView(ascii_host, unicode, ascii_host, "lookalike_of", imitates)
    return HostView(ascii_host, unicode, ".".join(shown), reason)

"""Ours or foreign (Fig. 16): decide what a decoded text is, before any database work.

Verdicts: ``ours`` (a well-formed code of ours whose tag verifies — the service layer then
looks it up and may still downgrade it to ``ours_invalid`` with ``expired``/``revoked``),
``ours_invalid`` (with a reason), ``foreign_url``, ``gtin`` or ``text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from relaycode.codes.credential_claims import CredentialTokenError
from relaycode.codes.credential_text import Decoded, decode_body, decode_text
from relaycode.codes.gtin import normalize_gtin
from relaycode.codes.share_tokens import ShareToken, decode_share_token
from relaycode.codes.tokens import OnlineToken, TokenError, decode_token
from relaycode.urls import whatwg
from relaycode.urls.idn import view_host

MAX_TEXT = 4096
# A verified code of ours: an online reference code (``/C/``, format 1) or a share made on
# a phone (``/S/``, format 2). Both carry ``code_id``, ``code_hex``, ``body`` and ``path``.
Token = OnlineToken | ShareToken
# Formats 3 and 4 (``CR1:``/``CR4:`` texts, ``/V/`` and ``/P/`` links) are verified with the
# trust list by a check the caller supplies (credential_check.py); without one, a
# credential text cannot be told good from forged, so it is ``ours_invalid``/``unverified``.
CredentialCheck = Callable[[Decoded], Any]
_CREDENTIAL_PREFIXES = ("CR1:", "CR4:")
# Any "scheme://", and "http:"/"https:" alone: a browser opens "https:\\evil.example" and
# "https:evil.example" as https://evil.example/, so they are links too.
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|https?:)", re.ASCII | re.IGNORECASE)
# Our own codes as we print them (any case, one trailing slash). For such a text the WHATWG
# parse is known in advance: the authority has no user-info, backslash, percent sign or
# non-ASCII letter, and once it equals one of our (canonical) hosts it is its own WHATWG
# form; the port has no leading zero and (checked below) is not the scheme's default, so
# the browser keeps it as written. Such texts skip the parser: this is the scan hot path.
# tests/codes/test_classify_urls.py checks that both ways always agree.
_OUR_SHAPE = re.compile(
    r"(https?)://([a-z0-9.-]+(?::[1-9][0-9]{0,4})?)/([csvp])/([a-z2-7]+)/?",
    re.ASCII | re.IGNORECASE,
)
_DEFAULT_PORT = {"HTTP": ":80", "HTTPS": ":443"}


@dataclass(frozen=True, slots=True)
class Classification:
    verdict: str
    reason: str | None = None
    message: str | None = None
    token: Token | None = None
    host: str | None = None
    url: str | None = None
    gtin: str | None = None
    # kind "credential": a verified format-3/4 text; ``credential`` is what the check gave.
    kind: str | None = None
    credential: Any = None


def classify(
    text: str,
    our_hosts: frozenset[str],
    lookup_key: Callable[[int], bytes | None],
    check: CredentialCheck | None = None,
) -> Classification:
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        return Classification("text")
    if text[:4].upper() in _CREDENTIAL_PREFIXES:
        return _credential(lambda: decode_text(text), check)
    if _URL.match(text):
        return _classify_url(text, our_hosts, lookup_key, check)
    gtin = normalize_gtin(text)
    if gtin is not None:
        return Classification("gtin", gtin=gtin)
    return Classification("text")


def _classify_url(
    text: str,
    our_hosts: frozenset[str],
    lookup_key: Callable[[int], bytes | None],
    check: CredentialCheck | None = None,
) -> Classification:
    """``our_hosts``: upper-case ``host`` values (name[:port]) as the WHATWG parser writes
    them (``Settings.our_hosts`` makes them so), compared with the parsed host."""
    if whatwg.REFUSED_CHARS.search(text):
        return Classification("text")
    shape = _OUR_SHAPE.fullmatch(text)
    if shape is not None:
        host = shape.group(2).upper()
        if host in our_hosts and not host.endswith(_DEFAULT_PORT[shape.group(1).upper()]):
            return _ours(shape.group(4), lookup_key, shape.group(3).upper(), host, check)
    url = whatwg.parse(text)
    if url is None or url.protocol not in ("http:", "https:") or not url.hostname:
        # mailto:, WIFI:, javascript: … are not links we would open.
        return Classification("text")
    path = url.pathname[:3].upper()
    if url.host.upper() in our_hosts and path in ("/C/", "/S/", "/V/", "/P/"):
        if url.has_credentials:
            # The browser would open our page, but no code of ours is written this way.
            return Classification(
                "ours_invalid", reason="malformed", message="a code never carries a user name"
            )
        body = url.pathname[3:].rstrip("/")
        return _ours(body, lookup_key, path[1], url.host.upper(), check)
    shown = view_host(url.hostname, our_names(our_hosts)).shown
    return Classification("foreign_url", host=shown, url=url.href)


@lru_cache(maxsize=8)
def our_names(our_hosts: frozenset[str]) -> frozenset[str]:
    """Our host names (no port), which a foreign look-alike must not imitate.

    ``our_hosts`` is ``Settings.our_hosts``: the one list of our hosts, which the scan
    API and the ``/out`` page both read through this module."""
    return frozenset(h.partition(":")[0].lower() for h in our_hosts)


def _ours(
    body: str,
    lookup_key: Callable[[int], bytes | None],
    path: str,
    host: str,
    check: CredentialCheck | None,
) -> Classification:
    if path in ("V", "P"):
        return _credential(lambda: decode_body(body, path, host), check)
    try:
        token: Token = (
            decode_share_token(body, lookup_key) if path == "S" else decode_token(body, lookup_key)
        )
    except TokenError as err:
        return Classification("ours_invalid", reason=err.reason, message=str(err))
    return Classification("ours", token=token)


def _credential(decode: Callable[[], Decoded], check: CredentialCheck | None) -> Classification:
    try:
        decoded = decode()
        if check is None:
            return Classification(
                "ours_invalid",
                reason="unverified",
                message="a signed credential, but this reader has no trust list",
                kind="credential",
            )
        presented = check(decoded)
    except CredentialTokenError as err:
        return Classification(
            "ours_invalid", reason=err.reason, message=str(err), kind="credential"
        )
    return Classification("ours", kind="credential", credential=presented)

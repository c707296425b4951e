"""Ours or foreign (Fig. 16): decide what a decoded text is, before any database work.

Verdicts: ``ours`` (a well-formed code of ours whose tag verifies — the service layer then
looks it up and may still downgrade it to ``ours_invalid`` with ``expired``/``revoked``),
``ours_invalid`` (with a reason), ``foreign_url``, ``gtin`` or ``text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from relaycode.codes.gtin import normalize_gtin
from relaycode.codes.tokens import OnlineToken, TokenError, decode_token

MAX_TEXT = 4096
_SPACE = re.compile(r"\s")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", re.ASCII)


@dataclass(frozen=True, slots=True)
class Classification:
    verdict: str
    reason: str | None = None
    message: str | None = None
    token: OnlineToken | None = None
    host: str | None = None
    url: str | None = None
    gtin: str | None = None


def classify(
    text: str, our_hosts: frozenset[str], lookup_key: Callable[[int], bytes | None]
) -> Classification:
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        return Classification("text")
    if _URL.match(text):
        return _classify_url(text, our_hosts, lookup_key)
    gtin = normalize_gtin(text)
    if gtin is not None:
        return Classification("gtin", gtin=gtin)
    return Classification("text")


def _classify_url(
    text: str, our_hosts: frozenset[str], lookup_key: Callable[[int], bytes | None]
) -> Classification:
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        netloc = parts.netloc.upper()
    except ValueError:
        return Classification("text")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host or _SPACE.search(text):
        # mailto:, WIFI:, javascript: … are not links we would open.
        return Classification("text")
    if netloc in our_hosts and parts.path.upper().startswith("/C/"):
        body = parts.path[3:].rstrip("/")
        try:
            token = decode_token(body, lookup_key)
        except TokenError as err:
            return Classification("ours_invalid", reason=err.reason, message=str(err))
        return Classification("ours", token=token)
    return Classification("foreign_url", host=host, url=text)

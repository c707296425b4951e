"""A shortcut for the one spelling we print: ``<SCHEME>://<PUBLIC HOST>/C/<TOKEN>``.

Nearly every scan is a code we printed, character for character. For that exact text
the full URL classification (``classify``, a WHATWG parse) is known in advance, so this
module checks the spelling instead of parsing it; any other text returns ``None`` and
goes through ``classify`` as before.

Why the answer is the same as a WHATWG parse would give (the prefix is built only when
all of this holds, see ``canonical_prefix``):

- the text is the prefix followed by exactly 42 characters of ``A–Z2–7`` and nothing
  else, so it holds no ``\\``, ``@``, ``%``, ``?``, ``#``, white space, tab or newline, and
  no user-info: there is nothing a URL parser could re-interpret;
- the scheme is ``HTTP`` or ``HTTPS`` (special schemes; parsers lower-case them);
- the host is plain LDH labels (``A–Z0–9-``, no empty label, no trailing dot), the last
  one starting with a letter (so it is never read as an IPv4 number such as ``0X7F.1``
  or ``127.1``), and no ``XN--`` label (whose punycode a parser would validate), so
  the parsed host is just the lower-cased text;
- a port, if any, is 1–65535 written without leading zeros and is not the scheme's
  default (a parser would drop a default port and the host would then compare
  differently);
- the path is ``/C/<TOKEN>``, so the body is the token, which ``decode_token`` verifies
  exactly as ``classify`` would.

Tests (tests/codes/test_canonical.py) check the shortcut against ``classify`` on
hostile variants of the canonical text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from relaycode.codes.classify import Classification
from relaycode.codes.tokens import TOKEN_CHARS, TokenError, decode_token

_LABEL = r"[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}\.)*[A-Z](?:[A-Z0-9-]*[A-Z0-9])?(?::([1-9][0-9]{{0,4}}))?")
_DEFAULT_PORT = {"HTTP": 80, "HTTPS": 443}
_BODY = re.compile(r"[A-Z2-7]+")


def canonical_prefix(scheme: str, host: str) -> str | None:
    """``SCHEME://HOST/C/`` when the shortcut is exact for this host, else ``None``."""
    m = _HOST.fullmatch(host)
    if scheme not in _DEFAULT_PORT or m is None:
        return None
    if any(label.startswith("XN--") for label in host.split(":")[0].split(".")):
        return None
    port = m.group(1)
    if port is not None and (int(port) > 65535 or int(port) == _DEFAULT_PORT[scheme]):
        return None
    return f"{scheme}://{host}/C/"


def classify_canonical(
    text: str, prefix: str | None, lookup_key: Callable[[int], bytes | None]
) -> Classification | None:
    """``classify(text)`` for the canonical spelling, without parsing; else ``None``."""
    if (
        prefix is None
        or len(text) != len(prefix) + TOKEN_CHARS
        or not text.startswith(prefix)
        or not _BODY.fullmatch(text, len(prefix))
    ):
        return None
    try:
        token = decode_token(text[len(prefix) :], lookup_key)
    except TokenError as err:
        return Classification("ours_invalid", reason=err.reason, message=str(err))
    return Classification("ours", token=token)

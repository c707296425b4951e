"""An offer's codes as a merchant handles many of them: search, CSV export (pure parts).

Search takes what a merchant has at hand: the code's text or link as printed (any
case), its id (32 hex digits) or the start of its id. CSV cells are made safe for
spreadsheets: a cell that starts like a formula is prefixed with ``'`` (OWASP's advice
against CSV injection), so opening the export never runs anything.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from relaycode.codes.share_tokens import decode_share_token
from relaycode.codes.tokens import TokenError, decode_token

CSV_COLUMNS = ("id", "text", "status", "channel", "depth", "created_at", "expires_at")
_TOKEN = re.compile(r"(?:^|/C/)([A-Z2-7]{42})/?$", re.IGNORECASE)
_SHARE = re.compile(r"/S/([A-Z2-7]{61})/?$", re.IGNORECASE)  # made on a phone
_HEX = re.compile(r"^[0-9a-f]{1,32}$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAX_QUERY = 200
_ROWS_PER_CHUNK = 200


def search_prefix(query: str, lookup_key: Callable[[int], bytes | None]) -> str | None:
    """The code-id prefix a search names, or None when it can name no code of ours.

    A code text must verify (its tag) to be searched for: a forged one names nothing.
    """
    text = query.strip()[:_MAX_QUERY]
    share = _SHARE.search(text)
    if share is not None:
        try:
            return decode_share_token(share.group(1), lookup_key).code_hex
        except TokenError:
            return None
    match = _TOKEN.search(text)
    if match is not None:
        try:
            return decode_token(match.group(1), lookup_key).code_hex
        except TokenError:
            return None
    lowered = text.lower()
    return lowered if _HEX.match(lowered) else None


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_chunks(rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """The header, then the rows, as UTF-8 CSV (RFC 4180 quoting, CRLF), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if count % _ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")

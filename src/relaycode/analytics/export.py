"""Analytics as CSV: UTF-8 (with a BOM, so spreadsheets read Chinese text right), RFC 4180
quoting, CRLF, one column per currency for money. Every text cell goes through
``codes.listing.safe_cell``: a cell a spreadsheet would read as a formula (``=``, ``+``,
``-``, ``@``, tab, CR) is prefixed with ``'`` (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from fastapi.responses import Response

from relaycode.analytics.service import money_columns
from relaycode.codes.listing import safe_cell

FIGURES = ("scans", "unique_scanners", "orders", "conversion")


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # a number, never a formula (even when negative)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_cell(value)


def table(
    rows: Sequence[Any],
    columns: Sequence[str],
    *,
    figures: Sequence[str] = FIGURES,
    get: Callable[[Any, str], object] = getattr,
) -> bytes:
    """``columns`` then ``figures`` then revenue/commissions per currency, per row."""
    money = money_columns(rows)
    header = [*columns, *figures]
    header += [f"revenue_{c}_minor" for c in money] + [f"commissions_{c}_minor" for c in money]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    for r in rows:
        values = [get(r, c) for c in (*columns, *figures)]
        values += [r.revenue.get(c, 0) for c in money] + [r.commissions.get(c, 0) for c in money]
        writer.writerow([cell(v) for v in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_response(body: bytes, filename: str) -> Response:
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    }
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)

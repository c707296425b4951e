"""Lists on pages: the cursor from the query string, and "next" / "first page" links.

Pages read lists through the same keyset helper as the API (db/pagination.py); a
page may hold several lists, each with its own cursor parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from relaycode.db.pagination import Page

PAGE_SIZE = 50
CODES_PER_PAGE = 20  # code cards are tall on a phone


@dataclass(frozen=True)
class Pager:
    next_url: str | None
    first_url: str | None  # set when this is not the first page


def cursor_of(request: Request, param: str = "cursor") -> str | None:
    return request.query_params.get(param) or None


def pager(request: Request, page: Page[Any], param: str = "cursor", anchor: str = "") -> Pager:
    """Links to the next page and back to the first, keeping the other query values
    (a search, the other lists' cursors) but not one-off ones (``lang``, ``issued``)."""
    kept = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in (param, "lang", "issued", "seen")
    ]
    path = request.url.path

    def url(extra: list[tuple[str, str]]) -> str:
        query = urlencode([*kept, *extra])
        return path + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")

    next_url = url([(param, page.next_cursor)]) if page.next_cursor else None
    first_url = url([]) if cursor_of(request, param) else None
    return Pager(next_url=next_url, first_url=first_url)

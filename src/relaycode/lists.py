"""The HTTP side of lists: ``?cursor=&limit=`` in, ``{"items", "next_cursor"}`` out.

Every list endpoint of the API answers a page (db/pagination.py), never everything and
never a silently cut list: ``next_cursor`` is null on the last page, otherwise passed
back as ``?cursor=`` for the next one.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from relaycode.db.pagination import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT

T = TypeVar("T")

CursorQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR, description="`next_cursor` of the previous page; omit for the first"
    ),
]
LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, at most {MAX_LIMIT}")
]


class ListOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page"
    )


__all__ = ["DEFAULT_LIMIT", "CursorQuery", "LimitQuery", "ListOut"]

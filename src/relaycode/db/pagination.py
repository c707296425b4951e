"""Keyset pagination: one helper for every list, in the API and on the pages.

A page is ``limit`` rows in a stable total order (the order's last column is unique),
plus an opaque cursor naming the last row shown; the next page starts strictly after
it. Unlike OFFSET, a row inserted or withdrawn meanwhile neither repeats nor skips a
row, and page 1,000 costs what page 1 does (an index on the order columns).

The cursor is base64url JSON: the order's name and the last row's key values. It is
opaque to clients, who only hand it back; a cursor that does not decode, belongs to
another list, or holds a value no row of the list could have (a number wider than its
column, a time that leaves the calendar in UTC, a string with a NUL), is a 400
``bad_cursor``, never a 500: such values would otherwise reach the driver, which
refuses them with an error of its own.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import BigInteger, ColumnElement, Integer, Select, SmallInteger, String, and_, or_
from sqlalchemy.orm import Session

from relaycode.errors import AppError
from relaycode.safetext import check_line

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The longest cursor a real row makes: a 200-character name of 4-byte characters is
# ~800 bytes of JSON, ~1,100 in base64. Anything longer is not ours.
MAX_CURSOR = 2048
_MAX_STRING = 256  # a key column without a declared length (none today)
_INT_BITS = ((BigInteger, 64), (SmallInteger, 16), (Integer, 32))  # subclasses first


class BadCursor(AppError):
    status = 400
    code = "bad_cursor"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # None: this was the last page


@dataclass(frozen=True)
class Order:
    """A total order for keyset pages: ``columns`` ascending (or all descending); the last
    column must be unique (a primary key) so that no two rows tie."""

    name: str
    columns: tuple[Any, ...]  # column attributes or SQL expressions
    types: tuple[type, ...]
    descending: bool = False

    def __post_init__(self) -> None:
        if not self.columns or len(self.columns) != len(self.types):
            raise ValueError("one Python type per order column")


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _sql_type(column: Any) -> Any:
    sql_type = getattr(column, "type", None)
    return getattr(sql_type, "impl_instance", sql_type)  # a TypeDecorator's storage type


def _int_bits(column: Any) -> int:
    """The width of the column's SQL integer (PostgreSQL binds ``INTEGER`` as int4)."""
    sql_type = _sql_type(column)
    for kind, bits in _INT_BITS:
        if isinstance(sql_type, kind):
            return bits
    return 64


def _max_length(column: Any) -> int:
    sql_type = _sql_type(column)
    length = sql_type.length if isinstance(sql_type, String) else None
    return length or _MAX_STRING


def _decode_value(raw: Any, kind: type, column: Any = None) -> Any:
    """One key value, checked to be one a row of ``column`` could hold."""
    if kind is datetime:
        if not isinstance(raw, dict) or not isinstance(raw.get("t"), str) or len(raw["t"]) > 40:
            raise ValueError("not a time")
        value = datetime.fromisoformat(raw["t"])
        if value.tzinfo is None:
            raise ValueError("naive time")
        # Stored times are UTC: one whose UTC form leaves years 1-9999 (0001-01-01 at
        # +14:00) names no row, and converting it is an OverflowError in the driver.
        return value.astimezone(UTC)
    # bool is an int in Python; a cursor never holds one.
    if not isinstance(raw, kind) or isinstance(raw, bool):
        raise ValueError("wrong type")
    if isinstance(raw, int):
        bits = _int_bits(column)
        if not -(2 ** (bits - 1)) <= raw < 2 ** (bits - 1):
            raise ValueError("wider than the column")
    elif isinstance(raw, str):
        if len(raw) > _max_length(column):
            raise ValueError("longer than the column")
        check_line(raw)  # no NUL (PostgreSQL refuses it), controls or lone surrogates
    return raw


def encode_cursor(order: Order, values: Sequence[Any]) -> str:
    # UTF-8 rather than \\u escapes: a name in CJK or emoji stays within MAX_CURSOR.
    data = json.dumps(
        [order.name, [_encode_value(v) for v in values]], separators=(",", ":"), ensure_ascii=False
    )
    return base64.urlsafe_b64encode(data.encode()).decode("ascii").rstrip("=")


def decode_cursor(order: Order, cursor: str) -> list[Any]:
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, values = json.loads(raw)
        if name != order.name or not isinstance(values, list):
            raise ValueError("another list's cursor")
        if len(values) != len(order.columns):
            raise ValueError("wrong length")
        return [
            _decode_value(v, k, c)
            for v, k, c in zip(values, order.types, order.columns, strict=True)
        ]
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("this page link is not valid; start from the first page") from None


def _after(order: Order, values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order: (a > x) or (a = x and b > y) ...

    Written out rather than as a row-value comparison so that each bound value takes
    its column's type (UTC datetimes on SQLite) on every engine.
    """
    clauses: list[ColumnElement[bool]] = []
    for i, column in enumerate(order.columns):
        equal = [order.columns[j] == values[j] for j in range(i)]
        step = column < values[i] if order.descending else column > values[i]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise AppError(f"limit must be 1 to {MAX_LIMIT}", code="bad_limit", status=422)
    return limit


def paginate(
    db: Session,
    stmt: Select[*tuple[Any, ...]],
    order: Order,
    *,
    cursor: str | None,
    limit: int,
) -> Page[Any]:
    """One page of ``stmt``'s rows in ``order``: single-entity selects give the entities,
    wider selects give tuples of their columns."""
    check_limit(limit)
    width = len(stmt.column_descriptions)  # entities and columns, as a row holds them
    keyed = stmt.add_columns(*(c.label(f"_page_key{i}") for i, c in enumerate(order.columns)))
    if cursor:
        keyed = keyed.where(_after(order, decode_cursor(order, cursor)))
    direction = [c.desc() if order.descending else c.asc() for c in order.columns]
    rows = db.execute(keyed.order_by(None).order_by(*direction).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [row[0] if width == 1 else tuple(row[:width]) for row in rows]
    next_cursor = encode_cursor(order, rows[-1][width:]) if more and rows else None
    return Page(items=items, next_cursor=next_cursor)


def page_all(
    db: Session, stmt: Select[*tuple[Any, ...]], order: Order, *, batch: int = MAX_LIMIT
) -> Iterator[Any]:
    """Every row, fetched a keyset page at a time (exports): a generator of items."""
    cursor: str | None = None
    while True:
        page = paginate(db, stmt, order, cursor=cursor, limit=batch)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor

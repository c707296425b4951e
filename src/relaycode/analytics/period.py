"""The date range an analytics question covers: whole UTC days, both ends included.

Days are UTC days on purpose: a merchant's team and its referrers may sit in different
time zones, and a figure must not change with the reader. ``to`` defaults to today (UTC),
``from`` to 29 days before ``to`` (30 days); at most ``MAX_DAYS`` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from relaycode.errors import InvalidInput

DEFAULT_DAYS = 30
MAX_DAYS = 366
# Far enough for any real sale; keeps ``end + 1 day`` and the SQL bounds representable.
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 30)


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # included

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    @property
    def days(self) -> list[date]:
        n = (self.last - self.first).days + 1
        return [self.first + timedelta(days=i) for i in range(n)]


def today() -> date:
    return datetime.now(UTC).date()


def period_of(first: date | None, last: date | None, *, now: date | None = None) -> Period:
    """The period asked for, or 422 ``invalid_range`` (reversed, too long, out of bounds)."""
    last = last or (now or today())
    first = first or (last - timedelta(days=DEFAULT_DAYS - 1))
    for value in (first, last):
        if not EARLIEST <= value <= LATEST:
            raise InvalidInput(
                f"dates must lie between {EARLIEST} and {LATEST}", code="invalid_range"
            )
    if first > last:
        raise InvalidInput("`from` is after `to`", code="invalid_range")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"at most {MAX_DAYS} days at a time", code="range_too_long")
    return Period(first, last)

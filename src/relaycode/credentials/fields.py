"""A template's fields and an item's values for them (pure: no database).

Values arrive as JSON (typed) or from a CSV file or the command line (strings); both are
accepted where the meaning is plain ("1250" for a money field). Money is integer minor
units; dates are ISO ``YYYY-MM-DD``. Every problem is reported, not only the first.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from relaycode.errors import InvalidInput

FIELD_KEY = r"^[a-z][a-z0-9_]{0,31}$"
MAX_FIELDS = 30
MAX_TEXT = 500
MAX_MINOR = 10**15  # a money value of more than this is a typo, not a bill
MAX_INT = 2**31 - 1
_DIGITS = re.compile(r"^-?[0-9]{1,19}$")
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

Problem = dict[str, str]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        return int(value.strip())
    return None


def _one(spec: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    """The stored value, or the problem with it."""
    kind = spec["type"]
    if kind == "text":
        if not isinstance(value, str):
            return None, "must be text"
        if len(value) > MAX_TEXT:
            return None, f"at most {MAX_TEXT} characters"
        if _BAD_CHARS.search(value):
            return None, "control characters are not allowed"
        return value.strip(), None
    if kind == "date":
        if not isinstance(value, str) or len(value) != 10:
            return None, "must be a date, YYYY-MM-DD"
        try:
            return date.fromisoformat(value).isoformat(), None
        except ValueError:
            return None, "must be a date, YYYY-MM-DD"
    number = _as_int(value)
    if number is None:
        return None, "must be a whole number" + (" of minor units" if kind == "money" else "")
    if kind == "money" and not 0 <= number <= MAX_MINOR:
        return None, f"must be 0 to {MAX_MINOR} minor units"
    if kind == "int" and not -MAX_INT <= number <= MAX_INT:
        return None, "out of range"
    return number, None


def parse_values(specs: list[dict[str, Any]], raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` checked against the template's ``specs``: all problems in one 422
    ``invalid_fields`` (``details.problems``: ``[{"field", "problem"}]``)."""
    known = {s["key"]: s for s in specs}
    problems: list[Problem] = [
        {"field": str(k)[:40], "problem": "not a field of this template"}
        for k in raw
        if k not in known
    ]
    values: dict[str, Any] = {}
    for key, spec in known.items():
        value = raw.get(key)
        if value is None or value == "":
            if spec.get("required", True):
                problems.append({"field": key, "problem": "required"})
            continue
        parsed, problem = _one(spec, value)
        if problem is not None:
            problems.append({"field": key, "problem": problem})
        else:
            values[key] = parsed
    if problems:
        raise InvalidInput(
            "some field values are not valid",
            code="invalid_fields",
            details={"problems": problems[:50]},
        )
    return values


def first_money(specs: list[dict[str, Any]], values: dict[str, Any]) -> int | None:
    """The value of the template's first money field (a balance template's amount)."""
    for spec in specs:
        if spec["type"] == "money":
            found = values.get(spec["key"])
            return found if isinstance(found, int) else None
    return None

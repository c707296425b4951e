"""Text types for schemas: no control characters, no lone surrogates.

PostgreSQL refuses NUL in text columns (a 500 if it gets that far) and no field of ours
has a use for the other C0 controls; a lone surrogate cannot be encoded as UTF-8 at all.
``Line`` is single-line text (names, titles, usernames); ``Text`` is free text that may
hold tabs and line breaks (descriptions, addresses).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_LINE_BAD = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_TEXT_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def check_line(value: str) -> str:
    if _LINE_BAD.search(value):
        raise ValueError("control characters are not allowed here")
    return value


def check_text(value: str) -> str:
    if _TEXT_BAD.search(value):
        raise ValueError("control characters other than tab and line breaks are not allowed")
    return value


Line = Annotated[str, AfterValidator(check_line)]
Text = Annotated[str, AfterValidator(check_text)]

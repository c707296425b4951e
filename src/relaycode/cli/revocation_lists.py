"""The revocation list ``relaycode verify --offline`` checks: saved files, or this instance's.

A verifier offline knows a credential was revoked (by its issuer, or endorsed to someone
else) only from the last revocation list it synced (``GET /api/v1/revocations``). Files
given with ``--revocations`` are such answers, saved; without any, the list is read from
this instance's database when it can be reached (the CLI beside the server), and the
JSON says which it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from relaycode.cli.common import fail, transaction
from relaycode.credentials import revocation

MAX_PAGES = 10_000  # a bounded walk: REVOCATION_LIMIT rows a page
_CTI = re.compile(r"^[0-9a-f]{32}$")


def from_files(paths: list[Path]) -> set[str]:
    revoked: set[str] = set()
    for path in paths:
        try:
            # utf-8-sig: a list saved by an editor that writes a BOM is still the list.
            doc: Any = json.loads(path.read_text(encoding="utf-8-sig"))
            ctis = [r["cti"] for r in doc["revoked"]]
            if not all(isinstance(c, str) and _CTI.match(c) for c in ctis):
                raise ValueError("a cti is not 32 hex characters")
            revoked |= set(ctis)
        except (
            OSError,
            UnicodeDecodeError,
            ValueError,
            KeyError,
            TypeError,
            RecursionError,
        ) as exc:  # RecursionError: JSON nested deeper than the parser goes
            message = f"revocation list {path}: not a GET /api/v1/revocations answer ({exc})"
            raise fail(message, 2) from None
    return revoked


def from_instance() -> set[str] | None:
    """Every revoked credential id in this instance's database; None when unreachable."""
    revoked: set[str] = set()
    version = 0
    try:
        with transaction() as db:
            for _ in range(MAX_PAGES):
                delta = revocation.since(db, version)
                revoked |= {r.credential_id for r in delta.revoked}
                if not delta.more or delta.version <= version:
                    break
                version = delta.version
    except (SQLAlchemyError, OSError):
        return None
    return revoked

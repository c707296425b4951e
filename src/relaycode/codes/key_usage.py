"""Which HMAC keys the codes in the database were made with (queries for ``keys import``).

A code's tag is made with one HMAC key, named by the one-byte id the code row keeps in
``key_id``; a keyring without that key turns every such code on paper into a forgery.
Kept beside ``repository.py`` (the scan path's queries) because only the CLI asks.
"""

from __future__ import annotations

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection

from relaycode.models import Code


def codes_by_key_id(conn: Connection) -> dict[int, int]:
    """How many codes each HMAC key id made; empty before the first migration."""
    if not inspect(conn).has_table(Code.__tablename__):
        return {}
    rows = conn.execute(select(Code.key_id, func.count()).group_by(Code.key_id)).all()
    return {int(kid): int(count) for kid, count in rows}

"""The issuer's credential log as CSV (streamed in chunks; formula-safe cells)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from sqlalchemy.orm import Session

from relaycode.codes.listing import safe_cell
from relaycode.credentials import repository as repo
from relaycode.models import CredentialAudit

COLUMNS = ("id", "created_at", "action", "credential_id", "item_id", "actor", "device_id",
           "station", "reason", "detail")  # fmt: skip


def csv_chunks(
    db: Session, rows: Iterable[CredentialAudit], *, every: int = 200
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    names: dict[int, str | None] = {}
    for n, a in enumerate(rows, start=1):
        if a.actor_user_id and a.actor_user_id not in names:
            names.update(repo.usernames(db, {a.actor_user_id}))
        actor = names.get(a.actor_user_id) if a.actor_user_id else None
        values = (a.id, a.created_at.isoformat(), a.action, a.credential_id, a.item_id, actor,
                  a.device_id, a.station, a.reason,
                  json.dumps(a.detail or {}, ensure_ascii=False, sort_keys=True))  # fmt: skip
        writer.writerow([safe_cell(v) for v in values])
        if n % every == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")

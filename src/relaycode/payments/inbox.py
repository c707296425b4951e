"""Inbound provider events: stored once by their id, then acted on exactly once.

``receive`` runs two short transactions:

1. **store**: ``INSERT … ON CONFLICT DO NOTHING`` on (provider, event_id), committed
   before anything is acted on, so a delivery whose processing fails is still on record
   (``last_error``) and the provider's retry finds it;
2. **process**: the event row is locked, and acted on only if ``processed_at`` is unset:
   the attempt (found by the provider's reference, else our id from the metadata) is
   locked and moved (payments/attempts.py), the handlers run, ``processed_at`` is set, all
   in one transaction. Of two deliveries of one event at once, the second waits for the
   first's lock and then finds it processed: a replay changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaycode.db.locking import ensure_write_lock, get_for_update
from relaycode.db.session import Database
from relaycode.models import PaymentAttempt, PaymentRefund, ProviderEvent
from relaycode.payments.attempts import apply_refunded, apply_status
from relaycode.payments.provider import EventKind, ProviderEventData, Status

log = logging.getLogger("relaycode.payments")
_STATUS: dict[str, Status] = {
    "processing": "processing",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "canceled",
}


@dataclass(frozen=True)
class Received:
    event_id: str
    duplicate: bool  # stored and processed before: nothing was done this time
    outcome: str | None


def store(db: Session, provider: str, data: ProviderEventData) -> int | None:
    """The new row's id, or None when the event was stored before."""
    ensure_write_lock(db)
    table = cast(Table, ProviderEvent.__table__)
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(
        provider=provider,
        event_id=data.event_id[:255],
        event_type=data.event_type[:100],
        kind=data.kind,
        provider_ref=data.provider_ref,
        payload=json.dumps(data.payload, separators=(",", ":"), sort_keys=True),
        received_at=datetime.now(UTC),
    )
    row = db.execute(stmt.on_conflict_do_nothing().returning(table.c.id)).first()
    return None if row is None else int(row[0])


def _event_row(db: Session, provider: str, event_id: str) -> ProviderEvent | None:
    pk = db.scalar(
        select(ProviderEvent.id).where(
            ProviderEvent.provider == provider, ProviderEvent.event_id == event_id[:255]
        )
    )
    return None if pk is None else get_for_update(db, ProviderEvent, pk)


def _attempt(db: Session, provider: str, data: ProviderEventData) -> PaymentAttempt | None:
    pk: str | None = None
    if data.provider_ref:
        pk = db.scalar(
            select(PaymentAttempt.id).where(
                PaymentAttempt.provider == provider,
                PaymentAttempt.provider_ref == data.provider_ref,
            )
        )
    if pk is None and data.attempt_id:
        pk = data.attempt_id
    attempt = get_for_update(db, PaymentAttempt, pk) if pk else None
    if attempt is None or attempt.provider != provider:
        return None
    if data.provider_ref and attempt.provider_ref not in (None, data.provider_ref):
        return None  # our id on someone else's payment: not ours to move
    return attempt


def process(db: Session, provider: str, data: ProviderEventData) -> tuple[bool, str | None]:
    """Act on a stored event unless done before: (done now, outcome)."""
    row = _event_row(db, provider, data.event_id)
    if row is None:
        raise LookupError(f"event {data.event_id} was not stored")
    if row.processed_at is not None:
        return False, row.outcome
    attempt = _attempt(db, provider, data) if data.kind or data.refund_ref else None
    if data.kind is None:
        outcome = "ignored"  # stored for the record; nothing of ours moves
    else:
        outcome = "unknown_attempt" if attempt is None else _apply(db, attempt, data, data.kind)
    if data.refund_ref and data.refund_status:
        _refund_news(db, data)
    row.attempt_id = attempt.id if attempt is not None else None
    row.processed_at = datetime.now(UTC)
    row.outcome = outcome
    row.last_error = None
    db.flush()
    return True, outcome


def _apply(db: Session, attempt: PaymentAttempt, data: ProviderEventData, kind: EventKind) -> str:
    if attempt.provider_ref is None and data.provider_ref:
        attempt.provider_ref = data.provider_ref
    amount_given = data.amount_minor is not None and data.currency is not None
    if amount_given and (data.amount_minor, data.currency) != (
        attempt.amount_minor,
        attempt.currency,
    ):
        log.warning("event %s: amount differs from attempt %s", data.event_id, attempt.id)
        return "amount_mismatch"
    source, event_id = "webhook", data.event_id
    if kind == "refunded":
        total = data.amount_refunded or 0
        moved = apply_refunded(db, attempt, total, source=source, event_id=event_id)
    else:
        status = _STATUS[kind]
        moved = apply_status(
            db, attempt, status, source=source, failure_code=data.failure_code, event_id=event_id
        )
    return "applied" if moved else "stale"


def _refund_news(db: Session, data: ProviderEventData) -> None:
    refund = db.scalar(select(PaymentRefund).where(PaymentRefund.provider_ref == data.refund_ref))
    if refund is not None and refund.status == "pending" and data.refund_status != "pending":
        refund.status = data.refund_status or refund.status
        refund.updated_at = datetime.now(UTC)


def receive(database: Database, provider: str, data: ProviderEventData) -> Received:
    """Store, then process, one verified event (the webhook endpoint's work)."""
    with database.transaction() as db:
        store(db, provider, data)
    try:
        with database.transaction() as db:
            done, outcome = process(db, provider, data)
    except Exception as exc:
        _note_failure(database, provider, data.event_id, exc)
        raise
    return Received(data.event_id, duplicate=not done, outcome=outcome)


def _note_failure(database: Database, provider: str, event_id: str, exc: BaseException) -> None:
    log.exception("processing %s event %s failed", provider, event_id)
    text: Any = f"{type(exc).__name__}: {exc}"[:500]
    try:
        with database.transaction() as db:
            db.execute(
                update(ProviderEvent)
                .where(ProviderEvent.provider == provider, ProviderEvent.event_id == event_id)
                .values(last_error=text)
            )
    except Exception:  # the database itself may be what failed; the log has it
        log.exception("could not record the failure of event %s", event_id)

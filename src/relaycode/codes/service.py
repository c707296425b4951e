"""Issuing codes and resolving scanned text (ours or foreign, Fig. 16)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from relaycode.catalog.status import effective_status
from relaycode.codes import repository as repo
from relaycode.codes.answers import ScanFacts, answer_doc, code_doc
from relaycode.codes.answers import code_text as code_text  # re-exported for callers
from relaycode.codes.classify import Classification
from relaycode.codes.keys import Keyring
from relaycode.codes.listing import search_prefix
from relaycode.codes.repository import (
    BY_GTIN,
    PAYMENT,
    RESOLVE,
    CodeRow,
    GtinRow,
    ResolveRow,
    wants_chain,
    wants_payment,
)
from relaycode.codes.resolver import Register, classify_text, refused_as
from relaycode.codes.scanlog import Row, ScanRecorder
from relaycode.codes.schemas import CodeOut, ScanOut
from relaycode.codes.share_tokens import ShareToken
from relaycode.codes.tokens import new_code_id
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update, get_many_for_update
from relaycode.db.pagination import Page
from relaycode.db.raw import Reader, SqlReader
from relaycode.errors import Conflict, NotFound
from relaycode.games.repository import CHAIN
from relaycode.models import Code, Offer
from relaycode.referrals.bots import is_preview_bot


@dataclass(frozen=True)
class ScanContext:
    """Who scanned, for the analytics event; never the scanned text itself."""

    source: str = "api"
    user_id: int | None = None
    device_id: int | None = None
    user_agent: str | None = None


def code_out(
    settings: Settings, keyring: Keyring, code: Code | CodeRow, *, body: str | None = None
) -> CodeOut:
    """``body``: the verified token text when we have it, saving a re-encode."""
    return CodeOut(**code_doc(settings, keyring, code, body=body))


def issue_offer_code(
    db: Session, keyring: Keyring, offer: Offer, *, channel: str | None = None
) -> Code:
    """A first-generation code for an offer (depth 0, no parent, no holder).

    Lock, check, then do: the offer's row is locked and re-read before its status is
    checked, so an archive committed by another request after ``offer`` was loaded is
    seen here (and one still running waits for us, or we for it). Without the lock a
    code could be born active on an offer archived a moment earlier (PostgreSQL).
    """
    locked = get_for_update(db, Offer, offer.id)
    if locked is None:
        raise NotFound("no such offer", code="offer_not_found")
    status = effective_status(locked, utcnow())
    if status == "archived":
        raise Conflict("archived offers get no new codes", code="offer_archived")
    if status == "expired":
        raise Conflict("this offer has ended; it gets no new codes", code="offer_expired")
    kid, _secret = keyring.active_hmac()
    code = Code(
        id=new_code_id().hex(),
        kind="offer",
        offer_id=locked.id,
        depth=0,
        channel=channel,
        status="active",
        key_id=kid,
        format_version=1,
    )
    db.add(code)
    db.flush()
    return code


def revoke_code(db: Session, code_id: str) -> Code:
    code = repo.code_by_id(db, code_id)
    if code is None:
        raise NotFound("no such code", code="code_not_found")
    code.status = "revoked"
    return code


def find_codes(
    db: Session, keyring: Keyring, offer_id: int, *, q: str | None, cursor: str | None, limit: int
) -> Page[Code]:
    """A page of the offer's codes, newest first, narrowed by a search if there is one
    (a code's text or link, its id or the start of its id: codes/listing.py)."""
    prefix = search_prefix(q, keyring.hmac_key) if q and q.strip() else ""
    if prefix is None:
        return Page(items=[], next_cursor=None)  # names no code of ours
    return repo.codes_page(db, offer_id, cursor=cursor, limit=limit, id_prefix=prefix or None)


def revoke_codes(db: Session, offer: Offer, code_ids: list[str]) -> tuple[list[Code], int]:
    """Withdraw several codes of one offer at once: all or none (one transaction).

    Lock, check, then do: every code is locked first (in id order, db/locking.py); an
    id that is not a code of this offer refuses the whole request. Returns the codes and
    how many changed (withdrawing a withdrawn code again is harmless).
    """
    wanted = {c.lower() for c in code_ids}
    found = [c for c in get_many_for_update(db, Code, wanted) if c.offer_id == offer.id]
    missing = sorted(wanted - {c.id for c in found})
    if missing:
        raise NotFound(
            "not codes of this offer", code="code_not_found", details={"ids": missing[:20]}
        )
    changed = sum(1 for c in found if c.status != "revoked")
    for code in found:
        revoke_code(db, code.id)  # the one place a code is withdrawn
    db.flush()
    return found, changed


def read_for(reader: Reader, c: Classification, now: datetime) -> ResolveRow | GtinRow | None:
    """The one database read a classified text needs, if any (a GTIN: the offer live
    at ``now``)."""
    if c.verdict == "ours" and c.token is not None:
        row = reader.first(RESOLVE, {"code_id": c.token.code_hex})
        if row is not None and wants_chain(row):
            moves = reader.first(CHAIN, {"code_id": c.token.code_hex})
            row = replace(row, moves=moves or ())
        if row is not None and wants_payment(row):
            row = replace(row, payment=reader.first(PAYMENT, {"code_id": c.token.code_hex}))
        return row
    if c.verdict == "gtin" and c.gtin:
        return reader.first(BY_GTIN, {"gtin": c.gtin, "now": now})
    return None


def resolve_text(
    db: Reader | Session | Connection,
    settings: Settings,
    keyring: Keyring,
    text: str,
    register: Register | None = None,
) -> tuple[ScanOut, CodeRow | None]:
    """What a scanned or opened text stands for (pages, CLI); reads only (the caller
    records the scan). The same answer as the scan API's, as a model.

    ``register`` (``state.resolver``'s, referrals/offline.py): a phone-made code seen
    for the first time is registered first, in its own transaction; so ``db`` must not
    have begun one yet (its reads must see that commit)."""
    reader = SqlReader(db) if isinstance(db, Session | Connection) else db
    c = classify_text(text, settings, keyring)
    if register is not None and isinstance(c.token, ShareToken):
        refused = register(c.token)
        if refused is not None:
            c = refused_as(refused)
    now = utcnow()
    doc, code = answer_doc(c, read_for(reader, c, now), settings, keyring, text, now)
    return ScanOut.model_validate(doc), code


def facts_of(result: ScanOut) -> ScanFacts:
    return ScanFacts(
        code_id=result.code.id if result.code is not None else None,
        verdict=result.verdict,
        reason=result.reason,
        foreign_host=result.link.host if result.link else None,
    )


def record_scan(recorder: ScanRecorder, result: ScanOut | ScanFacts, ctx: ScanContext) -> None:
    """Queue the analytics event; it is written within a fraction of a second."""
    facts = result if isinstance(result, ScanFacts) else facts_of(result)
    recorder.record_row(scan_row(facts, ctx.source, ctx.user_id, ctx.device_id, ctx.user_agent))


def scan_row(
    facts: ScanFacts,
    source: str,
    user_id: int | None,
    device_id: int | None,
    user_agent: str | None,
) -> Row:
    """One scan event, in scanlog.COLUMNS order (the hot path calls this directly)."""
    return (
        facts.code_id,
        facts.verdict,
        facts.reason,
        facts.foreign_host[:255] if facts.foreign_host else None,
        source[:16],
        user_id,
        device_id,
        (user_agent or "")[:300] or None,
        is_preview_bot(user_agent),
        utcnow(),
    )

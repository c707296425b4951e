"""Issuing codes and resolving scanned text (ours or foreign, Fig. 16)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from relaycode.catalog.service import to_public
from relaycode.catalog.status import effective_status
from relaycode.codes import repository as repo
from relaycode.codes.classify import Classification, classify
from relaycode.codes.keys import Keyring
from relaycode.codes.listing import search_prefix
from relaycode.codes.repository import Snapshot
from relaycode.codes.scanlog import ScanRecorder
from relaycode.codes.schemas import CodeOut, LinkOut, ScanOut
from relaycode.codes.tokens import OnlineToken, code_url, encode_token, new_code_id
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.db.locking import get_many_for_update
from relaycode.db.pagination import Page
from relaycode.db.raw import AsyncReader, Reader, SqlReader
from relaycode.errors import Conflict, NotFound
from relaycode.models import Code, Offer


@dataclass(frozen=True)
class ScanContext:
    """Who scanned, for the analytics event; never the scanned text itself."""

    source: str = "api"
    user_id: int | None = None
    device_id: int | None = None
    user_agent: str | None = None


def code_text(settings: Settings, keyring: Keyring, code: Code | Snapshot) -> str | None:
    """Recompute the code's text from its id; None once its key is retired."""
    secret = keyring.hmac_key(code.key_id)
    if secret is None:
        return None
    body = encode_token(code.key_id, secret, bytes.fromhex(code.id))
    return code_url(settings.public_scheme, settings.public_host, body)


def code_out(
    settings: Settings, keyring: Keyring, code: Code | Snapshot, *, body: str | None = None
) -> CodeOut:
    """``body``: the verified token text when we have it, saving a re-encode."""
    text = code_url(settings.public_scheme, settings.public_host, body) if body else None
    return CodeOut(
        id=code.id,
        kind=code.kind,
        offer_id=code.offer_id,
        parent_id=code.parent_id,
        depth=code.depth,
        channel=code.channel,
        status=code.status,
        created_at=code.created_at,
        expires_at=code.expires_at,
        text=text or code_text(settings, keyring, code),
    )


def issue_offer_code(
    db: Session, keyring: Keyring, offer: Offer, *, channel: str | None = None
) -> Code:
    """A first-generation code for an offer (depth 0, no parent, no holder)."""
    if offer.status == "archived":
        raise Conflict("archived offers get no new codes", code="offer_archived")
    kid, _secret = keyring.active_hmac()
    code = Code(
        id=new_code_id().hex(),
        kind="offer",
        offer_id=offer.id,
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


def _resolve_ours(
    row: dict[str, Any] | None, settings: Settings, keyring: Keyring, token: OnlineToken
) -> tuple[ScanOut, Snapshot | None]:
    code, offer, merchant_name = repo.code_from_row(row)
    if code is None:
        # Tag verified but no row: issued by a database we no longer have.
        return ScanOut(
            verdict="ours_invalid",
            reason="unknown_code",
            message="this code is not registered here",
            target=_invalid_page("unknown_code"),
        ), None
    out = code_out(settings, keyring, code, body=token.body)
    now = utcnow()
    invalid: tuple[str, str] | None = None
    offer_status = effective_status(offer, now) if offer is not None else None
    if code.status == "revoked" or offer_status == "archived":
        invalid = ("revoked", "this code was withdrawn by its issuer")
    elif code.status == "expired" or (code.expires_at is not None and code.expires_at <= now):
        invalid = ("expired", "this code has expired")
    elif offer_status == "expired":
        invalid = ("expired", "the offer behind this code has ended")
    if invalid:
        # The code's own page explains the refusal (410), in the reader's language.
        page = _code_page(out.text) if out.text else _invalid_page(invalid[0])
        result = ScanOut(
            verdict="ours_invalid", reason=invalid[0], message=invalid[1], code=out, target=page
        )
        return result, code
    public = to_public(offer, merchant_name or "", status=offer_status) if offer else None
    page_or_none = _code_page(out.text) if out.text else None
    return ScanOut(verdict="ours", code=out, offer=public, target=page_or_none), code


def _code_page(text: str) -> str:
    # seen=1: the scan was recorded by the API; opening the page must not count it twice.
    return f"/C/{text.rsplit('/', 1)[-1]}?seen=1"


def _invalid_page(reason: str | None) -> str:
    return f"/scan/invalid?reason={quote(reason or 'malformed', safe='')}"


def resolve_text(
    db: Reader | Session | Connection, settings: Settings, keyring: Keyring, text: str
) -> tuple[ScanOut, Snapshot | None]:
    """What a scanned or opened text stands for; reads only (the caller records the scan)."""
    reader = SqlReader(db) if isinstance(db, Session | Connection) else db
    c = classify(text, settings.our_hosts, keyring.hmac_key)
    lookup = lookup_for(c)
    row = reader.first(*lookup) if lookup else None
    return resolve_classified(c, row, settings, keyring, text)


async def resolve_text_async(
    reader: AsyncReader, settings: Settings, keyring: Keyring, text: str
) -> tuple[ScanOut, Snapshot | None]:
    """The same, reading through an asyncio driver (PostgreSQL on the scan hot path)."""
    c = classify(text, settings.our_hosts, keyring.hmac_key)
    lookup = lookup_for(c)
    row = await reader.first(*lookup) if lookup else None
    return resolve_classified(c, row, settings, keyring, text)


def lookup_for(c: Classification) -> repo.Lookup | None:
    """The one database read a classified text needs, if any."""
    if c.verdict == "ours" and c.token is not None:
        return repo.code_lookup(c.token.code_hex)
    if c.verdict == "gtin" and c.gtin:
        return repo.gtin_lookup(c.gtin)
    return None


def resolve_classified(
    c: Classification,
    row: dict[str, Any] | None,
    settings: Settings,
    keyring: Keyring,
    text: str,
) -> tuple[ScanOut, Snapshot | None]:
    """Pure: the answer, from the classification and the row ``lookup_for`` fetched."""
    if c.verdict == "ours" and c.token is not None:
        return _resolve_ours(row, settings, keyring, c.token)
    if c.verdict == "ours_invalid":
        return ScanOut(
            verdict="ours_invalid",
            reason=c.reason,
            message=c.message,
            target=_invalid_page(c.reason),
        ), None
    if c.verdict == "foreign_url" and c.url and c.host:
        return ScanOut(
            verdict="foreign_url",
            link=LinkOut(url=c.url, host=c.host),
            target="/out?url=" + quote(c.url, safe=""),
        ), None
    if c.verdict == "gtin" and c.gtin:
        offer, merchant_name = repo.offer_from_row(row)
        public = to_public(offer, merchant_name or "") if offer is not None else None
        target = f"/offers/{offer.id}" if offer else "/scanned?text=" + c.gtin
        return ScanOut(verdict="gtin", gtin=c.gtin, offer=public, target=target), None
    return ScanOut(verdict="text", target="/scanned?text=" + quote(text[:500], safe="")), None


def record_scan(recorder: ScanRecorder, result: ScanOut, ctx: ScanContext) -> None:
    """Queue the analytics event; it is written within a fraction of a second."""
    recorder.record(
        {
            "code_id": result.code.id if result.code is not None else None,
            "verdict": result.verdict,
            "reason": result.reason,
            "foreign_host": result.link.host[:255] if result.link else None,
            "source": ctx.source[:16],
            "user_id": ctx.user_id,
            "device_id": ctx.device_id,
            "user_agent": (ctx.user_agent or "")[:300] or None,
            "created_at": utcnow(),
        }
    )

"""What a scanned text stands for, as the JSON document ``ScanOut`` describes.

Pure functions from a classification and the row it needed to the answer. They build
plain dicts, in ``ScanOut``'s field order, so the scan hot path serialises once with
pydantic-core (the very serialiser ``ScanOut.model_dump_json`` uses) and skips
building models; pages and the CLI validate the same dict into ``ScanOut``. Tests check
both give the same bytes, and that the offer part equals ``catalog.service.to_public``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from relaycode.catalog.status import EffectiveStatus, effective_status
from relaycode.codes.classify import Classification, Token
from relaycode.codes.credential_token import Presented
from relaycode.codes.keys import Keyring
from relaycode.codes.repository import (
    CodeRow,
    GtinRow,
    OfferRow,
    PaymentRow,
    ResolveRow,
    SharerRow,
)
from relaycode.codes.share_tokens import encode_share_token
from relaycode.codes.tokens import code_path, code_url, encode_token
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.games.present import game_doc
from relaycode.models import Code, Offer

Doc = dict[str, Any]
# What a scanner does next with a code of ours that is not an offer's: the bound holder
# claims an item (credentials/claims.py); a verifier checks a credential. Never who.
ACTIONS = {"credential_item": "claim", "credential": "verify", "payment": "pay"}


@dataclass(frozen=True, slots=True)
class ScanFacts:
    """What the analytics event keeps of an answer (never the scanned text itself)."""

    code_id: str | None
    verdict: str
    reason: str | None
    foreign_host: str | None

    @classmethod
    def of(cls, doc: Doc) -> ScanFacts:
        code, link = doc["code"], doc["link"]
        return cls(
            code_id=code["id"] if code else None,
            verdict=doc["verdict"],
            reason=doc["reason"],
            foreign_host=link["host"] if link else None,
        )


def code_text(settings: Settings, keyring: Keyring, code: Code | CodeRow) -> str | None:
    """Recompute the code's text from its row; None once its key is retired (or, for a
    phone-made share, once the device it names is gone)."""
    secret = keyring.hmac_key(code.key_id)
    if secret is None:
        return None
    if code.format_version == 2:
        if code.device_id is None or code.parent_id is None or code.share_counter is None:
            return None
        parent = bytes.fromhex(code.parent_id)
        body = encode_share_token(code.key_id, secret, code.device_id, parent, code.share_counter)
        return code_url(settings.public_scheme, settings.public_host, body, "S")
    body = encode_token(code.key_id, secret, bytes.fromhex(code.id))
    return code_url(settings.public_scheme, settings.public_host, body)


def code_doc(
    settings: Settings, keyring: Keyring, code: Code | CodeRow, *, body: str | None = None
) -> Doc:
    """``CodeOut``'s fields. ``body``: the verified token text, saving a re-encode."""
    path = "S" if code.format_version == 2 else "C"
    text = code_url(settings.public_scheme, settings.public_host, body, path) if body else None
    return {
        "id": code.id,
        "kind": code.kind,
        "offer_id": code.offer_id,
        "parent_id": code.parent_id,
        "depth": code.depth,
        "channel": code.channel,
        "status": code.status,
        "created_at": code.created_at,
        "expires_at": code.expires_at,
        "text": text or code_text(settings, keyring, code),
    }


def offer_doc(
    offer: Offer | OfferRow, merchant_name: str, status: EffectiveStatus | None = None
) -> Doc:
    """``PublicOfferOut``'s fields: what a scanner learns (no payee, no internals).
    ``status``: the effective status when the caller has just computed it."""
    return {
        "id": offer.id,
        "merchant": merchant_name,
        "title": offer.title,
        "description": offer.description,
        "image_url": f"/media/{offer.image_path}" if offer.image_path else None,
        "price_minor": offer.price_minor,
        "currency": offer.currency,
        "category": offer.category,
        "region": offer.region,
        "payment_methods": list(offer.payment_methods or []),
        "web_link": offer.web_link,
        "status": offer.status,
        "effective_status": status or effective_status(offer, utcnow()),
        "valid_from": offer.valid_from,
        "valid_until": offer.valid_until,
    }


def _doc(verdict: str, **fields: Any) -> Doc:
    doc: Doc = {"verdict": verdict, "reason": None, "message": None, "code": None,
                "offer": None, "sharer": None, "review": None, "link": None, "gtin": None,
                "target": None, "game": None, "action": None, "credential": None,
                "payment": None}  # fmt: skip
    doc.update(fields)
    return doc


def credential_doc(p: Presented) -> Doc:
    """``CredentialScanOut``'s fields: what a verified format-3/4 text says (no person)."""
    return {
        "id": p.claims.credential_id,
        "kind": p.kind,
        "kid": p.kid,
        "expires_at": datetime.fromtimestamp(p.claims.expires_at, UTC),
        "window": p.window,
    }


def payment_doc(p: PaymentRow) -> Doc:
    """``PaymentScanOut``'s fields: the payee's public name and how it may be paid."""
    return {"id": p.id, "payee": p.payee, "label": p.label, "currency": p.currency,
            "methods": list(p.methods), "pay_url": f"/pay/{p.id}"}  # fmt: skip


def _code_page(text: str) -> str:
    # seen=1: the scan was recorded by the API; opening the page must not count it twice.
    return f"{code_path(text)}?seen=1"


def _invalid_page(reason: str | None) -> str:
    return f"/scan/invalid?reason={quote(reason or 'malformed', safe='')}"


def _ours(
    row: ResolveRow | None, settings: Settings, keyring: Keyring, token: Token, now: datetime
) -> tuple[Doc, CodeRow | None]:
    if row is None:
        # Tag verified but no row: issued by a database we no longer have.
        return _doc("ours_invalid", reason="unknown_code",
                    message="this code is not registered here",
                    target=_invalid_page("unknown_code")), None  # fmt: skip
    code, offer = row.code, row.offer
    out = code_doc(settings, keyring, code, body=token.body)
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
        page = _code_page(out["text"]) if out["text"] else _invalid_page(invalid[0])
        doc = _doc("ours_invalid", reason=invalid[0], message=invalid[1], code=out, target=page)
        return doc, code
    public = offer_doc(offer, row.merchant_name or "", offer_status) if offer else None
    page_or_none = _code_page(out["text"]) if out["text"] else None
    sharer, review = sharer_docs(row.sharer) if code.kind == "share" else (None, None)
    game = (
        game_doc(offer.game, row.moves or ())
        if offer is not None and offer.kind == "combine"
        else None
    )
    payment = payment_doc(row.payment) if row.payment is not None else None
    doc = _doc("ours", code=out, offer=public, sharer=sharer, review=review,
               target=page_or_none, game=game, action=ACTIONS.get(code.kind),
               payment=payment)  # fmt: skip
    return doc, code


def sharer_docs(row: SharerRow | None) -> tuple[Doc | None, Doc | None]:
    """``SharerOut`` and ``ReviewOut``'s fields: a name to show, never a phone number."""
    if row is None:
        return None, None
    sharer = {"username": row.username, "display_name": row.display_name}
    if row.rating is None or row.reviewed_at is None:
        return sharer, None
    return sharer, {"rating": row.rating, "text": row.review_text or "",
                    "updated_at": row.reviewed_at}  # fmt: skip


def answer_doc(
    c: Classification,
    row: ResolveRow | GtinRow | None,
    settings: Settings,
    keyring: Keyring,
    text: str,
    now: datetime,
) -> tuple[Doc, CodeRow | None]:
    """The answer, from the classification and the row ``lookup_for`` says it needs."""
    if c.verdict == "ours" and c.token is not None:
        assert row is None or isinstance(row, ResolveRow)
        return _ours(row, settings, keyring, c.token, now)
    if c.verdict == "ours" and c.credential is not None:
        return _doc("ours", credential=credential_doc(c.credential)), None
    if c.verdict == "ours_invalid":
        return _doc("ours_invalid", reason=c.reason, message=c.message,
                    target=_invalid_page(c.reason)), None  # fmt: skip
    if c.verdict == "foreign_url" and c.url and c.host:
        link = {"url": c.url, "host": c.host}
        return _doc("foreign_url", link=link, target="/out?url=" + quote(c.url, safe="")), None
    if c.verdict == "gtin" and c.gtin:
        assert row is None or isinstance(row, GtinRow)
        if row is None:
            return _doc("gtin", gtin=c.gtin, target="/scanned?text=" + c.gtin), None
        public = offer_doc(row.offer, row.merchant_name, effective_status(row.offer, now))
        return _doc("gtin", gtin=c.gtin, offer=public, target=f"/offers/{row.offer.id}"), None
    return _doc("text", target="/scanned?text=" + quote(text[:500], safe="")), None


def valid_for(row: ResolveRow | None, now: datetime) -> float | None:
    """Seconds until this row's answer would change by the clock alone (the code
    expiring, the offer starting or ending: its effective status); None if never."""
    if row is None:
        return None
    offer = row.offer
    instants = [row.code.expires_at]
    if offer is not None:
        instants += [offer.valid_from, offer.valid_until]
    ahead = [(t - now).total_seconds() for t in instants if t is not None and t > now]
    return min(ahead) if ahead else None

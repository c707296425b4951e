"""What anyone may open: a code's page, an offer, a foreign link, scanned text, images."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from relaycode.catalog.service import check_servable, get_offer, image_url
from relaycode.catalog.status import effective_status
from relaycode.codes import service as codes
from relaycode.codes.classify import our_names
from relaycode.codes.gtin import normalize_gtin
from relaycode.codes.repository import CodeRow
from relaycode.codes.resolver import classify_text
from relaycode.codes.schemas import CodeOut, ScanOut
from relaycode.db.base import utcnow
from relaycode.deps import ReadDbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.identity.auth import Principal, PrincipalDep
from relaycode.media import content_type
from relaycode.merchants import repository as merchant_repo
from relaycode.models import Offer
from relaycode.state import AppState
from relaycode.web import buy, credential_pages, game_panel, shares
from relaycode.web.dashboard import can_edit
from relaycode.web.links import check_link
from relaycode.web.render import CODE_REASONS, page, render_error

router = APIRouter()
_MAX_TOKEN = 128


def scan_context(request: Request, principal: Principal, source: str) -> codes.ScanContext:
    return codes.ScanContext(
        source=source,
        user_id=principal.user.id if principal.user else None,
        device_id=principal.device.id if principal.device else None,
        user_agent=request.headers.get("user-agent"),
    )


def invalid_code_page(request: Request, reason: str, message: str | None = None) -> Response:
    """The page for a code of ours that we refuse, with its reason and status."""
    status = CODE_REASONS.get(reason, 400)
    return render_error(request, AppError(message or reason, code=reason, status=status))


def offer_page(
    request: Request,
    db: Session,
    offer: Offer,
    principal: Principal,
    *,
    code: CodeOut | None = None,
    result: ScanOut | None = None,
    row: CodeRow | None = None,
) -> Response:
    """The offer's page; ``result`` and ``row``: the scan answer and code row of the
    code in the address (a share's page then says who shared it)."""
    state: AppState = request.app.state.rc
    merchant = merchant_repo.merchant_by_id(db, offer.merchant_id)
    assert merchant is not None
    # Its own staff see a way to edit it (members with an editing role, operators).
    editable = (
        principal.user is not None
        and offer.status != "archived"
        and can_edit(db, principal, merchant)
    )
    parts = shares.page_parts(
        request, db, state, offer, merchant, principal, code=code, result=result, row=row
    )
    by = parts["shared_by"]
    context = {
        "user": principal.user,
        "offer": offer,
        "merchant": merchant,
        "can_edit": editable,
        "image": image_url(offer),
        "methods": list(offer.payment_methods or []),
        "code": code,
        "status": effective_status(offer, utcnow()),
        "game": game_panel.panel(request, db, offer, principal, result),
        **parts,
        # The buy form; on a share page the order goes through the share (its sharer is
        # credited), unless the reader is the sharer.
        "buy": buy.buy_form(
            request,
            db,
            state,
            offer,
            merchant,
            principal,
            code_text=code.text if code else None,
            via=by.name if by is not None and not by.mine else None,
        ),
    }
    return page(request, "offer.html", context)


def _code_page(
    request: Request,
    token: str,
    db: Session,
    state: AppState,
    principal: Principal,
    path: str = "C",
) -> Response:
    """``path`` "S": a share made on a phone, registered here the first time it is opened
    (referrals/offline.py) — before ``db`` reads anything, so that it sees the row."""
    settings = state.settings
    text = f"{settings.public_scheme}://{settings.public_host}/{path}/{token[:_MAX_TOKEN]}"
    register = state.resolver.register if path == "S" else None
    result, code = codes.resolve_text(db, settings, state.keyring, text, register)
    request.state.switch_query = {"seen": "1"}
    if request.query_params.get("seen") != "1":
        codes.record_scan(state.scans, result, scan_context(request, principal, "link"))
    if result.verdict == "ours_invalid":
        return invalid_code_page(request, result.reason or "malformed", result.message)
    if result.verdict != "ours" or code is None:
        return invalid_code_page(request, "malformed")
    if code.kind == "credential_item":  # an item's printed code: its holder claims it
        return credential_pages.claim_page(request, db, principal, code, text)
    if code.offer_id is None:
        return page(request, "code.html", {"user": principal.user, "code": result.code})
    offer = get_offer(db, code.offer_id)
    return offer_page(request, db, offer, principal, code=result.code, result=result, row=code)


@router.get("/C/{token}")
def code_upper(
    request: Request, token: str, db: ReadDbDep, state: StateDep, principal: PrincipalDep
) -> Response:
    return _code_page(request, token, db, state, principal)


@router.get("/c/{token}")
def code_lower(
    request: Request, token: str, db: ReadDbDep, state: StateDep, principal: PrincipalDep
) -> Response:
    """A hand-typed lower-case link works too: the token is case-insensitive."""
    return _code_page(request, token, db, state, principal)


@router.get("/S/{token}")
def share_upper(
    request: Request, token: str, db: ReadDbDep, state: StateDep, principal: PrincipalDep
) -> Response:
    """A share code made on a phone, offline (format 2)."""
    return _code_page(request, token, db, state, principal, "S")


@router.get("/s/{token}")
def share_lower(
    request: Request, token: str, db: ReadDbDep, state: StateDep, principal: PrincipalDep
) -> Response:
    return _code_page(request, token, db, state, principal, "S")


@router.get("/offers/{offer_id}")
def public_offer(
    request: Request, offer_id: int, db: ReadDbDep, principal: PrincipalDep
) -> Response:
    offer = get_offer(db, offer_id)
    check_servable(offer)  # archived or ended: 410; paused or not yet started say so
    return offer_page(request, db, offer, principal)


@router.get("/out")
def foreign_link(request: Request, state: StateDep, url: str = "") -> Response:
    """Fig. 16: a code that is not ours, shown with its real domain before it opens.

    Whether the link is ours is the classifier's call, as for the scan API: a link to
    one of our codes goes to its page (or the page saying why it is refused), never to
    the "not ours" warning."""
    c = classify_text(url, state.settings, state.keyring)
    if c.verdict == "ours" and c.token is not None:
        return RedirectResponse(f"/{c.token.path}/{c.token.body}", status_code=303)
    if c.verdict == "ours_invalid":
        reason = quote(c.reason or "malformed", safe="")
        return RedirectResponse(f"/scan/invalid?reason={reason}", status_code=303)
    link = check_link(url, our_names(state.settings.our_hosts))
    return page(request, "out.html", {"link": link}, status=200 if link.openable else 400)


@router.get("/scanned")
def scanned_text(request: Request, text: str = "") -> Response:
    shown = text[:4096]
    context = {"text": shown, "gtin": normalize_gtin(shown) if shown else None}
    return page(request, "scanned.html", context)


@router.get("/scan/invalid")
def scanned_invalid(request: Request, reason: str = "") -> Response:
    """Where the scanner goes for a forged or broken code of ours that has no page."""
    return invalid_code_page(request, reason if reason in CODE_REASONS else "malformed")


@router.get("/media/{name}")
def media(name: str, state: StateDep) -> Response:
    kind = content_type(name)
    data = state.media.get(name) if kind else None
    if kind is None or data is None:
        raise NotFound("no such file", code="not_found")
    # Names are random per upload, so a file never changes under its name.
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=kind, headers=headers)


def scan_target(result: ScanOut) -> str:
    """Where a scan goes next (the service always says)."""
    return result.target or "/scanned"

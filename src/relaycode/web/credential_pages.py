"""The holder's credentials (Figs. 7-11): the list, one credential shown as a code in
the forms its template allows, endorsing it, its history; and claiming an item.

Every rule is the credential services' (claims, endorse, presentation): these pages only
call them and show what they answer. A refusal is shown with its reason, never with who
holds what. The rotating form is remade in the browser (static/credential-show.js).
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.codes import render as qr
from relaycode.codes.repository import CodeRow
from relaycode.credentials import claims, endorse
from relaycode.credentials import repository as repo
from relaycode.credentials.offline_forms import device_public_key
from relaycode.credentials.presentation import render
from relaycode.credentials.service import check_holder, effective_status, get_credential
from relaycode.db.base import utcnow
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import AppError, Forbidden
from relaycode.identity.auth import Principal
from relaycode.merchants import repository as merchant_repo
from relaycode.models import Credential, CredentialItem, CredentialTemplate, Device
from relaycode.state import AppState
from relaycode.web.dashboard import FlashDbDep
from relaycode.web.flash import clear_flash, set_flash, take_flash
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, device_key_missing, text

router = APIRouter()
FORMS = ("reference", "signed", "rotating")
# Endorse refusals with their own wording; anything else reads as the generic one.
ENDORSE_ERRORS = (
    "not_transferable",
    "endorsements_exhausted",
    "credential_not_active",
    "endorse_to_self",
    "invalid_holder",
    "user_not_found",
    "not_holder",
)


NOTICES = ("claimed", "endorsed", "link_sent")


def mine_path(credential_id: str) -> str:
    return f"/me/credentials/{credential_id}"


def qr_data_url(value: str) -> str:
    """The code as an inline SVG picture, drawn here (codes/render.py) like every code."""
    svg = qr.render_svg(value, qr.RenderOptions(scale=6, border=4))
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _issuers(db: Session, ids: set[int]) -> dict[int, str]:
    names = {}
    for mid in ids:
        m = merchant_repo.merchant_by_id(db, mid)
        names[mid] = m.name if m is not None else ""
    return names


@router.get("/me/credentials")
def my_credentials(request: Request, db: ReadDbDep, principal: SignedInDep) -> Response:
    user = principal.signed_in_user()
    found = repo.holder_credentials(db, user.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    now = utcnow()
    rows = [
        (c, db.get(CredentialTemplate, c.template_id), effective_status(c, now))
        for c in found.items
    ]
    context = {
        "user": user,
        "rows": rows,
        "issuers": _issuers(db, {c.merchant_id for c in found.items}),
        "rows_pager": pager(request, found, anchor="creds-h"),
    }
    return page(request, "my_credentials.html", context)


def _bound_key(db: Session, c: Credential, principal: Principal) -> str | None:
    """The device key the signed form is bound to, when it is this browser's device: the
    page then makes the rotating form itself (else the server makes it each window)."""
    here = principal.device
    if here is None or c.device_id != here.id:
        return None
    device = db.get(Device, c.device_id)
    return device.public_key if device is not None and device_public_key(device) else None


def _chain(
    chain: list[Credential], me: int, labels: dict[str, str | None], now: Any
) -> list[tuple[Credential, str | None, bool, str]]:
    """(link, holder name, mine, status): a holder sees their own links and whom they
    endorsed to as they named them (a username, or the number they typed, masked: never
    the account behind a number); the other holders of the chain stay unnamed."""
    out = []
    for n, x in enumerate(chain):
        mine = x.holder_user_id == me
        after_mine = n > 0 and chain[n - 1].holder_user_id == me
        name = labels.get(x.id) if after_mine else None
        out.append((x, name, mine, effective_status(x, now)))
    return out


def detail_page(
    request: Request,
    db: Session,
    state: AppState,
    principal: Principal,
    credential_id: str,
    *,
    errors: list[str] | None = None,
    typed: str = "",
    link_errors: list[str] | None = None,
    typed_verifier: str = "",
    notice: str | None = None,
    status: int = 200,
) -> Response:
    user = principal.signed_in_user()
    c = get_credential(db, credential_id)
    check_holder(c, user)
    template = db.get(CredentialTemplate, c.template_id)
    item = db.get(CredentialItem, c.item_id)
    assert template is not None and item is not None
    now = utcnow()
    shown = effective_status(c, now)
    allowed = [f for f in FORMS if f in template.forms]
    asked = request.query_params.get("form", "")
    form = asked if asked in allowed else allowed[0]
    code_text = None
    if shown == "active":
        try:
            code_text = render(db, state.settings, state.keyring, c, template, form, now=now)
        except AppError:
            code_text = None  # a form not available (no holder key yet): say so, no 500
    chain = repo.chain_of(db, c)
    labels = repo.endorsement_labels(db, [x.id for x in chain])
    context = {
        "user": user,
        "c": c,
        "template": template,
        "fields": dict(item.field_values),
        "issuer": _issuers(db, {c.merchant_id})[c.merchant_id],
        "status": shown,
        "forms": allowed,
        "form": form,
        "code_text": code_text,
        "qr": qr_data_url(code_text) if code_text else None,
        "bound_key": _bound_key(db, c, principal) if form == "rotating" else None,
        "chain": _chain(chain, user.id, labels, now),
        "redemptions": repo.redemptions_of(db, [x.id for x in chain]),
        "endorsable": shown == "active"
        and template.transferable
        and c.generation < template.max_endorsements,
        "errors": errors or [],
        "typed": typed,
        "link_errors": link_errors or [],
        "typed_verifier": typed_verifier,
        "notice": notice,
        "device_key_missing": device_key_missing(principal),
    }
    return page(request, "credential.html", context, status=status)


@router.get("/me/credentials/{credential_id}")
def credential_page(
    request: Request,
    credential_id: str,
    db: FlashDbDep,
    state: StateDep,
    principal: SignedInDep,
) -> Response:
    flash = take_flash(request, db, "credential")
    notice = (flash or {}).get("notice")
    shown = detail_page(
        request,
        db,
        state,
        principal,
        credential_id[:64],
        notice=notice if notice in NOTICES else None,
    )
    return clear_flash(request, shown)


@router.post("/me/credentials/{credential_id}/endorse")
def endorse_credential(
    request: Request,
    credential_id: str,
    form: FormDep,
    db: DbDep,
    state: StateDep,
    principal: SignedInDep,
) -> Response:
    to = text(form, "to")[:64]
    try:
        endorse.endorse(db, state.keyring, principal.signed_in_user(), credential_id[:64], to)
    except AppError as err:
        if err.status >= 500:
            raise
        db.rollback()  # nothing of a refused endorsement is kept
        key = err.code if err.code in ENDORSE_ERRORS else "generic"
        return detail_page(
            request,
            db,
            state,
            principal,
            credential_id[:64],
            typed=to,
            errors=[f"credpages.error.{key}"],
            status=err.status,
        )
    path = mine_path(credential_id[:64])
    response = redirect(request, path)
    set_flash(request, response, path, "credential", {"notice": "endorsed"})
    return response


def claim_page(
    request: Request, db: Session, principal: Principal, row: CodeRow, code_text: str
) -> Response:
    """An item's printed code (kind credential_item, action claim): its bound holder sees
    a claim button; anyone else signed in the generic refusal; a visitor, sign in."""
    item = repo.item_by_code(db, row.id)
    user = principal.user
    if item is not None and user is not None and item.holder_user_id != user.id:
        raise Forbidden("this item is bound to someone else", code="not_holder")
    template = db.get(CredentialTemplate, item.template_id) if item is not None else None
    context: dict[str, Any] = {
        "user": user,
        "item": item,
        "template": template,
        "issuer": _issuers(db, {item.merchant_id})[item.merchant_id] if item else "",
        "code_text": code_text,
        "next": request.url.path,
    }
    return page(request, "credential_claim.html", context)


@router.post("/me/credentials/claim")
def claim_item(
    request: Request, form: FormDep, db: DbDep, state: StateDep, principal: SignedInDep
) -> Response:
    device = principal.device.id if principal.device is not None else None
    done = claims.claim(
        db,
        state.settings,
        state.keyring,
        principal.signed_in_user(),
        text(form, "text")[:4096],
        device_id=device,
    )
    path = mine_path(done.credential.id)
    response = redirect(request, path)
    if done.created:
        set_flash(request, response, path, "credential", {"notice": "claimed"})
    return response

"""The merchant dashboard: merchants, their offers, an offer's codes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from relaycode.catalog import repository as catalog_repo
from relaycode.catalog.service import change_status, image_url
from relaycode.codes import service as codes
from relaycode.codes.access import CODES_SCOPE, load_code
from relaycode.codes.schemas import IssueIn
from relaycode.db.pagination import MAX_LIMIT
from relaycode.deps import DbDep, ReadDbDep, StateDep, _transaction
from relaycode.errors import AppError
from relaycode.identity.auth import Principal
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants import service as merchants
from relaycode.merchants.deps import OfferAccess, merchant_access, offer_access
from relaycode.merchants.schemas import MerchantIn
from relaycode.merchants.service import EDITORS, OWNERS, READERS
from relaycode.models import Merchant
from relaycode.referrals import repository as referrals_repo
from relaycode.web import i18n
from relaycode.web.commission_example import offer_section
from relaycode.web.flash import FLASH_COOKIE, clear_flash, set_flash, take_flash
from relaycode.web.game_panel import admin_section as game_admin_section
from relaycode.web.paging import CODES_PER_PAGE, PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import (
    FormDep,
    SignedInDep,
    device_key_missing,
    optional,
    signed_in,
    text,
)

router = APIRouter()


async def _flash_db(request: Request) -> AsyncIterator[Session]:
    """For a GET page that may show a flash: showing one records it (web/flash.py), which
    needs a writable session; without a flash cookie the page writes nothing, and this
    is the read-only session (on SQLite, no writer gate for an ordinary page view)."""
    db = request.app.state.rc.db
    maker = db.sessionmaker if request.cookies.get(FLASH_COOKIE) else db.readonly_sessionmaker
    async for session in _transaction(maker()):
        yield session


FlashDbDep = Annotated[Session, Depends(_flash_db, scope="function")]
_CODE_ID = re.compile(r"^[0-9a-fA-F]{32}$")


def _merchant(roles: tuple[str, ...], *, lock: bool = False, readonly: bool = False) -> Any:
    rule = merchant_access(roles, "offers:read", lock=lock, readonly=readonly, principal=signed_in)
    return Depends(rule)


def _offer(roles: tuple[str, ...], scope: str = "offers:write", *, readonly: bool = False) -> Any:
    return Depends(offer_access(roles, scope, readonly=readonly, principal=signed_in))


# What each page needs, checked before it runs; anonymous visitors are sent to sign in.
MerchantReader = Annotated[Merchant, _merchant(READERS)]
MerchantEditor = Annotated[Merchant, _merchant(EDITORS)]
MerchantOwner = Annotated[Merchant, _merchant(OWNERS)]
# Team changes lock the merchant before the caller's role is read (merchants/deps.py).
TeamChange = Annotated[Merchant, _merchant(OWNERS, lock=True)]
OfferReader = Annotated[OfferAccess, _offer(READERS, readonly=True)]
OfferEditor = Annotated[OfferAccess, _offer(EDITORS)]
# GET pages write nothing: the read-only session, which on SQLite skips the writer gate.
MerchantPage = Annotated[Merchant, _merchant(READERS, readonly=True)]
EditorPage = Annotated[Merchant, _merchant(EDITORS, readonly=True)]
OwnerPage = Annotated[Merchant, _merchant(OWNERS, readonly=True)]
OfferEditorPage = Annotated[OfferAccess, _offer(EDITORS, readonly=True)]
# Issuing and withdrawing codes: the API's rule, codes/access.py.
CodesIssuer = Annotated[OfferAccess, _offer(EDITORS, CODES_SCOPE)]


def can_edit(
    db: Session, principal: Principal, merchant: Merchant, roles: tuple[str, ...] = EDITORS
) -> bool:
    return merchants.allowed(db, principal, merchant, roles=roles, scope="offers:write")


def _dashboard(
    request: Request, db: Session, principal: Principal, form: dict[str, str], errors: list[str]
) -> Response:
    user_id = principal.signed_in_user().id
    mine = merchant_repo.merchants_page(db, user_id, cursor=cursor_of(request), limit=PAGE_SIZE)
    context = {
        "user": principal.user,
        "merchants": mine.items,
        "merchants_pager": pager(request, mine, anchor="mine"),
        "form": form,
        "errors": errors,
        "device_key_missing": device_key_missing(principal),
    }
    return page(request, "dashboard.html", context, status=422 if errors else 200)


@router.get("/dashboard")
def dashboard(request: Request, db: ReadDbDep, principal: SignedInDep) -> Response:
    return _dashboard(request, db, principal, {}, [])


@router.post("/dashboard/merchants")
def create_merchant(request: Request, form: FormDep, db: DbDep, principal: SignedInDep) -> Response:
    values = {"slug": text(form, "slug").lower(), "name": text(form, "name")}
    try:
        data = MerchantIn(**values)
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        errors = [f"merchant.invalid_{f}" for f in ("slug", "name") if f in bad]
        return _dashboard(request, db, principal, values, errors)
    try:
        merchant = merchants.create_merchant(db, principal.signed_in_user(), data.slug, data.name)
    except AppError as err:
        return _dashboard(request, db, principal, values, [f"merchant.{err.code}"])
    return redirect(request, f"/dashboard/m/{merchant.slug}")


@router.get("/dashboard/m/{slug}")
def merchant_page(
    request: Request, merchant: MerchantPage, db: ReadDbDep, principal: SignedInDep
) -> Response:
    offers = catalog_repo.offers_page(
        db, merchant.id, include_archived=True, cursor=cursor_of(request), limit=PAGE_SIZE
    )
    context = {
        "user": principal.user,
        "merchant": merchant,
        "offers": offers.items,
        "offers_pager": pager(request, offers, anchor="offers-h"),
        "can_edit": can_edit(db, principal, merchant),
        "is_owner": can_edit(db, principal, merchant, roles=("owner",)),
    }
    return page(request, "merchant.html", context)


@router.get("/dashboard/offers/{offer_id}")
def offer_admin(
    request: Request,
    access: OfferReader,
    db: ReadDbDep,
    flash_db: FlashDbDep,
    principal: SignedInDep,
    state: StateDep,
) -> Response:
    offer, merchant = access.offer, access.merchant
    q = (request.query_params.get("q") or "").strip()[:200]
    found = codes.find_codes(
        db, state.keyring, offer.id, q=q, cursor=cursor_of(request), limit=CODES_PER_PAGE
    )
    notice = take_flash(request, flash_db, "codes_revoked")
    t = i18n.Translator(i18n.pick_lang(request))
    context = {
        "user": principal.user,
        "offer": offer,
        "merchant": merchant,
        "codes": [codes.code_out(state.settings, state.keyring, c) for c in found.items],
        "codes_pager": pager(request, found, anchor="codes-h"),
        "q": q,
        "notice": _revoked_notice(t, notice),
        "image": image_url(offer),
        "can_edit": can_edit(db, principal, merchant),
        "issued": request.query_params.get("issued"),
        # One grouped query for the page's codes (bots and staff not counted).
        "scan_counts": referrals_repo.scan_counts(db, (c.id for c in found.items)),
        "commission": offer_section(
            request, db, principal, offer, merchant, state.settings.commission_max_depth
        ),
        "game_section": game_admin_section(db, offer),
    }
    return clear_flash(request, page(request, "offer_admin.html", context))


def _revoked_notice(t: i18n.Translator, notice: dict[str, object] | None) -> str | None:
    if notice is None:
        return None
    if not notice.get("selected"):
        return t("codes.none_selected")
    return t("codes.revoked_n", n=notice.get("n", 0))


@router.post("/dashboard/offers/{offer_id}/status")
def offer_status(request: Request, form: FormDep, access: OfferEditor, db: DbDep) -> Response:
    offer = change_status(db, access.offer, text(form, "action"))
    return redirect(request, f"/dashboard/offers/{offer.id}")


@router.post("/dashboard/offers/{offer_id}/codes")
def issue_code(
    request: Request, form: FormDep, access: CodesIssuer, db: DbDep, state: StateDep
) -> Response:
    offer = access.offer
    try:
        data = IssueIn(channel=optional(form, "channel"))
    except ValidationError:
        raise AppError("bad channel", code="invalid_channel", status=422) from None
    code = codes.issue_offer_code(db, state.keyring, offer, channel=data.channel)
    return redirect(request, f"/dashboard/offers/{offer.id}?issued={code.id}#code-{code.id}")


@router.post("/dashboard/offers/{offer_id}/codes/revoke")
def revoke_selected(request: Request, form: FormDep, access: CodesIssuer, db: DbDep) -> Response:
    """Withdraw the ticked codes (one transaction), then back to the list (303)."""
    offer = access.offer
    chosen = [c for c in form.getlist("codes") if isinstance(c, str) and _CODE_ID.match(c)]
    if len(chosen) > MAX_LIMIT:
        raise AppError("select at most 200 codes", code="too_many_codes", status=422)
    _codes, changed = codes.revoke_codes(db, offer, chosen) if chosen else ([], 0)
    path = f"/dashboard/offers/{offer.id}"
    response = redirect(request, f"{path}#codes-h")
    set_flash(request, response, path, "codes_revoked", {"n": changed, "selected": len(chosen)})
    return response


@router.post("/dashboard/codes/{code_id}/revoke")
def revoke_code(
    request: Request, code_id: str, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    code = load_code(db, principal, code_id, roles=EDITORS, scope=CODES_SCOPE)
    codes.revoke_code(db, code.id)
    return redirect(request, f"/dashboard/offers/{code.offer_id}#code-{code.id}")

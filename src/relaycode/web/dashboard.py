"""The merchant dashboard: merchants, their offers, an offer's codes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from relaycode.catalog import merchants
from relaycode.catalog import repository as catalog_repo
from relaycode.catalog.endpoints import EDITORS, READERS
from relaycode.catalog.service import change_status, get_offer, image_url
from relaycode.codes import repository as codes_repo
from relaycode.codes import service as codes
from relaycode.codes.schemas import IssueIn
from relaycode.deps import DbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.identity import repository as id_repo
from relaycode.identity.auth import Principal, authorize_merchant
from relaycode.identity.schemas import MerchantIn
from relaycode.models import Code, Merchant, Offer
from relaycode.web.render import page, redirect
from relaycode.web.session import (
    FormDep,
    SignedInDep,
    device_key_missing,
    optional,
    text,
)

router = APIRouter()


def merchant_for(db: Session, principal: Principal, slug: str, roles: tuple[str, ...]) -> Merchant:
    merchant = merchants.get_merchant(db, slug)
    authorize_merchant(db, principal, merchant, roles=roles, scope="offers:read")
    return merchant


def offer_for(
    db: Session, principal: Principal, offer_id: int, roles: tuple[str, ...]
) -> tuple[Offer, Merchant]:
    offer = get_offer(db, offer_id)
    merchant = db.get(Merchant, offer.merchant_id)
    assert merchant is not None
    authorize_merchant(db, principal, merchant, roles=roles, scope="offers:write")
    return offer, merchant


def _can_edit(
    db: Session, principal: Principal, merchant: Merchant, roles: tuple[str, ...] = EDITORS
) -> bool:
    try:
        authorize_merchant(db, principal, merchant, roles=roles, scope="offers:write")
    except AppError:
        return False
    return True


def _dashboard(
    request: Request, db: Session, principal: Principal, form: dict[str, str], errors: list[str]
) -> Response:
    mine = id_repo.merchants_of(db, principal.signed_in_user().id)
    context = {
        "user": principal.user,
        "merchants": mine,
        "form": form,
        "errors": errors,
        "device_key_missing": device_key_missing(principal),
    }
    return page(request, "dashboard.html", context, status=422 if errors else 200)


@router.get("/dashboard")
def dashboard(request: Request, db: DbDep, principal: SignedInDep) -> Response:
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
def merchant_page(request: Request, slug: str, db: DbDep, principal: SignedInDep) -> Response:
    merchant = merchant_for(db, principal, slug, READERS)
    offers = catalog_repo.offers_of(db, merchant.id, include_archived=True)
    context = {
        "user": principal.user,
        "merchant": merchant,
        "offers": offers,
        "can_edit": _can_edit(db, principal, merchant),
        "is_owner": _can_edit(db, principal, merchant, roles=("owner",)),
    }
    return page(request, "merchant.html", context)


@router.get("/dashboard/offers/{offer_id}")
def offer_admin(
    request: Request, offer_id: int, db: DbDep, principal: SignedInDep, state: StateDep
) -> Response:
    offer, merchant = offer_for(db, principal, offer_id, READERS)
    issued = [
        codes.code_out(state.settings, state.keyring, c)
        for c in codes_repo.codes_of_offer(db, offer.id)
    ]
    context = {
        "user": principal.user,
        "offer": offer,
        "merchant": merchant,
        "codes": issued,
        "image": image_url(offer),
        "can_edit": _can_edit(db, principal, merchant),
        "issued": request.query_params.get("issued"),
    }
    return page(request, "offer_admin.html", context)


@router.post("/dashboard/offers/{offer_id}/status")
def offer_status(
    request: Request, offer_id: int, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    offer, _merchant = offer_for(db, principal, offer_id, EDITORS)
    change_status(db, offer, text(form, "action"))
    return redirect(request, f"/dashboard/offers/{offer.id}")


@router.post("/dashboard/offers/{offer_id}/codes")
def issue_code(
    request: Request,
    offer_id: int,
    form: FormDep,
    db: DbDep,
    principal: SignedInDep,
    state: StateDep,
) -> Response:
    offer, _merchant = offer_for(db, principal, offer_id, EDITORS)
    try:
        data = IssueIn(channel=optional(form, "channel"))
    except ValidationError:
        raise AppError("bad channel", code="invalid_channel", status=422) from None
    code = codes.issue_offer_code(db, state.keyring, offer, channel=data.channel)
    return redirect(request, f"/dashboard/offers/{offer.id}?issued={code.id}#code-{code.id}")


@router.post("/dashboard/codes/{code_id}/revoke")
def revoke_code(
    request: Request, code_id: str, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    code = db.get(Code, code_id.lower()) if len(code_id) == 32 else None
    if code is None or code.offer_id is None:
        raise NotFound("no such code", code="code_not_found")
    offer, _merchant = offer_for(db, principal, code.offer_id, EDITORS)
    codes.revoke_code(db, code.id)
    return redirect(request, f"/dashboard/offers/{offer.id}#code-{code.id}")

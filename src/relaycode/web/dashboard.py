"""The merchant dashboard: merchants, their offers, an offer's codes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from relaycode.catalog import repository as catalog_repo
from relaycode.catalog.service import change_status, image_url
from relaycode.codes import repository as codes_repo
from relaycode.codes import service as codes
from relaycode.codes.schemas import IssueIn
from relaycode.deps import DbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.identity.auth import Principal
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants import service as merchants
from relaycode.merchants.deps import OfferAccess, load_offer, merchant_access, offer_access
from relaycode.merchants.schemas import MerchantIn
from relaycode.merchants.service import EDITORS, OWNERS, READERS
from relaycode.models import Merchant
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


def _merchant(roles: tuple[str, ...], *, lock: bool = False) -> Any:
    return Depends(merchant_access(roles, "offers:read", lock=lock, principal=signed_in))


def _offer(roles: tuple[str, ...]) -> Any:
    return Depends(offer_access(roles, "offers:write", principal=signed_in))


# What each page needs, checked before it runs; anonymous visitors are sent to sign in.
MerchantReader = Annotated[Merchant, _merchant(READERS)]
MerchantEditor = Annotated[Merchant, _merchant(EDITORS)]
MerchantOwner = Annotated[Merchant, _merchant(OWNERS)]
# Team changes lock the merchant before the caller's role is read (merchants/deps.py).
TeamChange = Annotated[Merchant, _merchant(OWNERS, lock=True)]
OfferReader = Annotated[OfferAccess, _offer(READERS)]
OfferEditor = Annotated[OfferAccess, _offer(EDITORS)]


def _can_edit(
    db: Session, principal: Principal, merchant: Merchant, roles: tuple[str, ...] = EDITORS
) -> bool:
    return merchants.allowed(db, principal, merchant, roles=roles, scope="offers:write")


def _dashboard(
    request: Request, db: Session, principal: Principal, form: dict[str, str], errors: list[str]
) -> Response:
    mine = merchant_repo.merchants_of(db, principal.signed_in_user().id)
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
def merchant_page(
    request: Request, merchant: MerchantReader, db: DbDep, principal: SignedInDep
) -> Response:
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
    request: Request, access: OfferReader, db: DbDep, principal: SignedInDep, state: StateDep
) -> Response:
    offer, merchant = access.offer, access.merchant
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
def offer_status(request: Request, form: FormDep, access: OfferEditor, db: DbDep) -> Response:
    offer = change_status(db, access.offer, text(form, "action"))
    return redirect(request, f"/dashboard/offers/{offer.id}")


@router.post("/dashboard/offers/{offer_id}/codes")
def issue_code(
    request: Request, form: FormDep, access: OfferEditor, db: DbDep, state: StateDep
) -> Response:
    offer = access.offer
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
    code = codes_repo.code_by_id(db, code_id)
    if code is None or code.offer_id is None:
        raise NotFound("no such code", code="code_not_found")
    offer = load_offer(db, principal, code.offer_id, roles=EDITORS, scope="offers:write").offer
    codes.revoke_code(db, code.id)
    return redirect(request, f"/dashboard/offers/{offer.id}#code-{code.id}")

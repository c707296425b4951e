"""A merchant's service requests in the dashboard (Fig. 10, docs/receipts.md): the list,
recording one for a user, and **Complete**, which issues the user's voucher.

The rules are the API's (receipts/endpoints.py): the team reads, owners and staff record
and complete; ``vouchers.complete`` issues the voucher once (completing again shows the
same one). Recording runs in a savepoint: a refusal (no such user, no such offer, nothing
described) shows the form again with its reason and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from relaycode.catalog import repository as catalog_repo
from relaycode.credentials import repository as cred_repo
from relaycode.credentials.holders import resolve_holder
from relaycode.deps import DbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.identity.auth import Principal
from relaycode.models import Credential, Merchant, Offer, ServiceRequest
from relaycode.receipts import vouchers
from relaycode.receipts.schemas import StaffServiceRequestIn
from relaycode.web.dashboard import FlashDbDep, MerchantEditor, MerchantPage, can_edit
from relaycode.web.flash import clear_flash, set_flash, take_flash
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()
_DONE = "service_done"
MAX_OFFERS = 100  # the offer choice lists this many
# Refusals the forms explain in their own words; anything else reads as the generic one.
EXPLAINED = ("user_not_found", "invalid_holder", "offer_not_found", "description_required",
             "description_too_long", "bad_text", "bad_offer", "merchant_not_found")  # fmt: skip


@dataclass(frozen=True)
class Row:
    request: ServiceRequest
    who: str
    offer_title: str | None
    voucher: Credential | None


def requests_path(slug: str) -> str:
    return f"/dashboard/m/{slug}/service-requests"


def rows_of(db: Session, found: list[ServiceRequest]) -> list[Row]:
    """Each request with its user's name, its offer's title and its voucher, if any."""
    names = cred_repo.usernames(db, {r.user_id for r in found})
    offers = {i: db.get(Offer, i) for i in {r.offer_id for r in found if r.offer_id}}
    return [
        Row(r, names.get(r.user_id) or f"#{r.user_id}",
            o.title if (o := offers.get(r.offer_id or 0)) is not None else None,
            db.get(Credential, r.credential_id) if r.credential_id else None)
        for r in found
    ]  # fmt: skip


def offers_of(db: Session, merchant_id: int) -> list[Offer]:
    return catalog_repo.offers_page(db, merchant_id, include_archived=False, cursor=None,
                                    limit=MAX_OFFERS).items  # fmt: skip


def form_error(err: AppError | ValidationError) -> Any:
    """The message key for a refused request form (ours or the schema's)."""
    if isinstance(err, ValidationError):
        bad = {str(e["loc"][0]): e["type"] for e in err.errors() if e.get("loc")}
        if "description" in bad:
            long = bad["description"] == "string_too_long"
            return "svcreq.error.description_too_long" if long else "svcreq.error.bad_text"
        return "svcreq.error.bad_offer" if "offer_id" in bad else "svcreq.error.invalid_holder"
    if err.code in EXPLAINED:
        return f"svcreq.error.{err.code}"
    return ("svcreq.error.generic", (("code", err.code),))


def offer_id_of(raw: str) -> int | None:
    """The offer field: empty (none), else a number; a ValidationError of the schema when
    it is neither, so the form explains it like any other bad field."""
    return int(raw) if raw.isdigit() and len(raw) < 11 else (None if not raw else -1)


def _list_page(
    request: Request, db: Session, principal: Principal, merchant: Merchant, *,
    values: dict[str, str] | None = None, errors: list[Any] | None = None,
    notice: dict[str, Any] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    found = vouchers.of_merchant(db, merchant.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    context = {
        "user": principal.user, "merchant": merchant, "rows": rows_of(db, found.items),
        "rows_pager": pager(request, found, anchor="requests-h"),
        "offers": offers_of(db, merchant.id), "can_edit": can_edit(db, principal, merchant),
        "values": values or {}, "errors": errors or [], "notice": notice,
    }  # fmt: skip
    return page(request, "service_requests.html", context, status=status)


@router.get("/dashboard/m/{slug}/service-requests")
def service_requests_page(
    request: Request, merchant: MerchantPage, db: FlashDbDep, principal: SignedInDep
) -> Response:
    notice = take_flash(request, db, _DONE)
    return clear_flash(request, _list_page(request, db, principal, merchant, notice=notice))


def _done(request: Request, merchant: Merchant, req_id: int, data: dict[str, Any]) -> Response:
    path = requests_path(merchant.slug)
    response = redirect(request, f"{path}#req-{req_id}")
    set_flash(request, response, path, _DONE, data)
    return response


@router.post("/dashboard/m/{slug}/service-requests")
def record_service_request(
    request: Request, form: FormDep, merchant: MerchantEditor, db: DbDep, principal: SignedInDep
) -> Response:
    values = {"user": text(form, "user")[:100], "offer_id": text(form, "offer_id")[:20],
              "description": text(form, "description")[:4000]}  # fmt: skip
    try:
        data = StaffServiceRequestIn(user=values["user"], offer_id=offer_id_of(values["offer_id"]),
                                     description=values["description"])  # fmt: skip
        with db.begin_nested():
            target = resolve_holder(db, data.user).user
            if target is None:  # a phone number no verified user has
                raise NotFound("no such user", code="user_not_found")
            req = vouchers.create(db, merchant, target, offer_id=data.offer_id,
                                  description=data.description,
                                  actor=principal.signed_in_user())  # fmt: skip
    except (AppError, ValidationError) as err:
        if isinstance(err, AppError) and err.status >= 500:
            raise
        status = err.status if isinstance(err, AppError) else 422
        return _list_page(request, db, principal, merchant, values=values,
                          errors=[form_error(err)], status=status)  # fmt: skip
    return _done(request, merchant, req.id, {"done": "recorded", "id": req.id})


@router.post("/dashboard/m/{slug}/service-requests/{request_id}/complete")
def complete_service_request(
    request: Request, request_id: int, form: FormDep, merchant: MerchantEditor, db: DbDep,
    state: StateDep, principal: SignedInDep,
) -> Response:  # fmt: skip
    found = db.get(ServiceRequest, request_id) if 0 < request_id < 2**31 else None
    if found is None or found.merchant_id != merchant.id:
        raise NotFound("no such service request", code="service_request_not_found")
    done = vouchers.complete(db, state.keyring, found.id, actor=principal.signed_in_user())
    data = {"done": "completed" if done.created else "already", "id": found.id,
            "credential": done.voucher.id}  # fmt: skip
    return _done(request, merchant, found.id, data)

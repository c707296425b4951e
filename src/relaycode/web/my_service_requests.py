"""The user's service requests (Fig. 10, docs/receipts.md): ask a merchant for a service
and follow one's requests; a completed one links to its voucher, a credential like any
other (``/me/credentials/<id>``).

Two steps, without JavaScript: a GET form chooses the merchant (typed by its slug, or
picked from those the user already deals with: earlier requests, credentials held),
``?merchant=<slug>``; the request form then offers that merchant's offers. A shop can
link straight to the second step.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from relaycode.deps import DbDep, ReadDbDep
from relaycode.errors import AppError, NotFound
from relaycode.merchants import repository as merchant_repo
from relaycode.models import Credential, Merchant, ServiceRequest, User
from relaycode.receipts import vouchers
from relaycode.receipts.schemas import ServiceRequestIn
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.service_pages import form_error, offer_id_of, offers_of, rows_of
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()
PATH = "/me/service-requests"
MAX_KNOWN = 50


def known_merchants(db: Session, user_id: int) -> list[Merchant]:
    """Merchants the user already deals with: asked before, or holds a credential of."""
    asked = select(ServiceRequest.merchant_id).where(ServiceRequest.user_id == user_id)
    held = select(Credential.merchant_id).where(Credential.holder_user_id == user_id)
    q = select(Merchant).where(or_(Merchant.id.in_(asked), Merchant.id.in_(held)))
    return list(db.scalars(q.order_by(Merchant.name, Merchant.id).limit(MAX_KNOWN)))


def _merchant(db: Session, slug: str) -> Merchant | None:
    clean = slug.strip().lower()
    return merchant_repo.merchant_by_slug(db, clean) if 0 < len(clean) <= 64 else None


def _page(
    request: Request, db: Session, user: User, *, chosen: Merchant | None,
    values: dict[str, str] | None = None, errors: list[Any] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    found = vouchers.of_user(db, user.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    rows = rows_of(db, found.items)
    known = known_merchants(db, user.id)
    names = {m.id: m.name for m in known}
    for r in rows:  # a merchant asked of before is known; this covers the rest
        if r.request.merchant_id not in names:
            m = merchant_repo.merchant_by_id(db, r.request.merchant_id)
            names[r.request.merchant_id] = m.name if m else ""
    context = {
        "user": user, "rows": rows, "merchant_names": names,
        "rows_pager": pager(request, found, anchor="mine-h"),
        "known": known, "chosen": chosen,
        "offers": offers_of(db, chosen.id) if chosen else [],
        "values": values or {}, "errors": errors or [],
        "notice": asked if (asked := request.query_params.get("asked", "")).isdigit() else None,
    }  # fmt: skip
    return page(request, "my_service_requests.html", context, status=status)


@router.get("/me/service-requests")
def my_service_requests(request: Request, db: ReadDbDep, principal: SignedInDep) -> Response:
    user = principal.signed_in_user()
    q = request.query_params
    slug = (q.get("merchant") or q.get("merchant_pick") or "").strip()[:100]
    chosen = _merchant(db, slug) if slug else None
    errors: list[Any] = ["svcreq.error.merchant_not_found"] if slug and chosen is None else []
    return _page(request, db, user, chosen=chosen, values={"merchant": slug}, errors=errors,
                 status=404 if errors else 200)  # fmt: skip


@router.post("/me/service-requests")
def ask_for_service(request: Request, form: FormDep, db: DbDep, principal: SignedInDep) -> Response:
    user = principal.signed_in_user()
    values = {"merchant": (text(form, "merchant") or text(form, "merchant_pick"))[:100],
              "offer_id": text(form, "offer_id")[:20],
              "description": text(form, "description")[:4000]}  # fmt: skip
    merchant = _merchant(db, values["merchant"])
    try:
        if merchant is None:
            raise NotFound("no such merchant", code="merchant_not_found")
        data = ServiceRequestIn(offer_id=offer_id_of(values["offer_id"]),
                                description=values["description"])  # fmt: skip
        with db.begin_nested():
            req = vouchers.create(db, merchant, user, offer_id=data.offer_id,
                                  description=data.description, actor=user)  # fmt: skip
    except (AppError, ValidationError) as err:
        if isinstance(err, AppError) and err.status >= 500:
            raise
        status = err.status if isinstance(err, AppError) else 422
        return _page(request, db, user, chosen=merchant, values=values,
                     errors=[form_error(err)], status=status)  # fmt: skip
    return redirect(request, f"{PATH}?asked={req.id}#req-{req.id}")

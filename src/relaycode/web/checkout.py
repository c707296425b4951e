"""``POST /checkout``: the buy form of offer and share pages places an order.

The order goes through the code the page is for (a share credits its sharer: the
orders service resolves the attribution). Success is a 303 to the order's page; a
refusal shows the checkout page again, the form filled in as it was, with the reason.
The form's idempotency key makes a double submit one order; the order is placed inside
a savepoint, so a refusal after part of the work (a wallet that is short) leaves
nothing behind when the page is answered normally.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from relaycode.catalog.service import image_url
from relaycode.deps import DbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.identity.auth import Principal, PrincipalDep
from relaycode.merchants import repository as merchant_repo
from relaycode.models import Offer
from relaycode.orders import service as orders
from relaycode.orders.pricing import MAX_QUANTITY, is_physical
from relaycode.state import AppState
from relaycode.web import buy
from relaycode.web.order_pages import order_path
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, safe_next, text

router = APIRouter()
_FIELDS = ("quantity", "payment_method", *(f"address_{n}" for n, *_ in buy.ADDRESS_FIELDS))
# Refusals the form can explain itself; anything else is "could not be placed (code)".
_EXPLAINED = {
    "bad_quantity": ("orders.error.bad_quantity", (("max", MAX_QUANTITY),)),
    "payment_method_unavailable": ("orders.error.provider_unavailable", ()),
    "provider_unavailable": ("orders.error.provider_unavailable", ()),
    "bad_address": ("orders.error.bad_address", ()),
    "delivery_address_required": ("orders.error.bad_address", ()),
    "insufficient_funds": ("orders.error.insufficient_funds", ()),
    "idempotency_key_reused": ("orders.error.idempotency_key_reused", ()),
    "offer_not_on_sale": ("orders.error.offer_not_on_sale", ()),
    "not_for_sale": ("orders.error.offer_not_on_sale", ()),
}


def error_of(err: AppError) -> Any:
    """A message key (with values) for the error list of the form."""
    known = _EXPLAINED.get(err.code)
    if known is not None:
        return known if known[1] else known[0]
    return ("orders.error.generic", (("code", err.code),))


def _values(form: FormData) -> dict[str, str]:
    return {name: text(form, name)[:200] for name in _FIELDS if text(form, name)}


def _address(values: dict[str, str], physical: bool) -> dict[str, object] | None:
    if not physical:
        return None
    return {n: values.get(f"address_{n}") or None for n, *_ in buy.ADDRESS_FIELDS}


def _quantity(values: dict[str, str]) -> int | None:
    raw = values.get("quantity", "1")
    return int(raw) if raw.isdigit() and len(raw) <= 3 else None


def _offer_of(db: Session, form: FormData) -> Offer:
    raw = text(form, "offer_id")
    offer = db.get(Offer, int(raw)) if raw.isdigit() and len(raw) < 19 else None
    if offer is None:
        raise NotFound("no such offer", code="offer_not_found")
    return offer


def _again(
    request: Request,
    db: Session,
    state: AppState,
    principal: Principal,
    offer: Offer,
    form: FormData,
    values: dict[str, str],
    errors: list[Any],
    status: int,
) -> Response:
    """The checkout page: the offer and the form as sent, with why it was refused."""
    merchant = merchant_repo.merchant_by_id(db, offer.merchant_id)
    assert merchant is not None
    back = safe_next(text(form, "back"), f"/offers/{offer.id}")
    form_ = buy.buy_form(
        request, db, state, offer, merchant, principal, code_text=text(form, "code")[:2048],
        values=values,
        errors=errors, idempotency_key=text(form, "idempotency_key")[:200] or None, back=back,
    )  # fmt: skip
    context = {
        "user": principal.user,
        "offer": offer,
        "merchant": merchant,
        "image": image_url(offer),
        "buy": form_,
        "back": back,
    }
    return page(request, "checkout.html", context, status=status)


@router.post("/checkout")
def checkout(
    request: Request, form: FormDep, db: DbDep, state: StateDep, principal: PrincipalDep
) -> Response:
    if principal.user is None:
        # Signed out meanwhile: sign in, then back to the page the form was on.
        back = safe_next(text(form, "back"), "/")
        return redirect(request, "/login?next=" + quote(back + "#buy", safe="/"))
    offer = _offer_of(db, form)
    values = _values(form)
    physical = is_physical(offer.sales_channel)
    quantity = _quantity(values)
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        errors: list[Any] = [error_of(AppError("", code="bad_quantity"))]
        return _again(request, db, state, principal, offer, form, values, errors, 422)
    method = values.get("payment_method", "")
    if not method:
        errors = ["orders.error.bad_method"]
        return _again(request, db, state, principal, offer, form, values, errors, 422)
    try:
        with db.begin_nested():
            placed = orders.place_order(
                db,
                state,
                buyer=principal.signed_in_user(),
                code_text=text(form, "code")[:2048],
                quantity=quantity,
                payment_method=method,
                idempotency_key=text(form, "idempotency_key")[:200],
                delivery_address=_address(values, physical),
                device_id=principal.device.id if principal.device else None,
            )
    except AppError as err:
        if err.status >= 500 and err.code != "provider_unavailable":
            raise
        return _again(
            request, db, state, principal, offer, form, values, [error_of(err)], err.status
        )
    return redirect(request, order_path(placed.order.id))

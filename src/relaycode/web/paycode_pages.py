"""A merchant's payment codes in the dashboard (Fig. 11, docs/receipts.md): the list with
each code's QR and its print files, making one, and withdrawing one.

The rules are the API's (receipts/endpoints.py): the team reads, owners and staff make
and withdraw; the form offers only the methods that settle in the request here
(``paying.instant_methods``), since a payment code takes no other at the till. The QR
is the API's own image route (the session cookie opens it), so what is printed is what
the API hands out. Making runs in a savepoint: a refusal shows the form again with its
reason and leaves no code behind.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from relaycode.deps import DbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.identity.auth import Principal
from relaycode.models import Merchant, PaymentCode
from relaycode.receipts import paycodes, paying
from relaycode.receipts.schemas import PaymentCodeIn
from relaycode.state import AppState
from relaycode.web.dashboard import FlashDbDep, MerchantEditor, MerchantPage, can_edit
from relaycode.web.flash import clear_flash, set_flash, take_flash
from relaycode.web.offer_form import CURRENCIES
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()
_DONE = "paycode_done"
# Refusals the form explains in its own words; anything else reads as the generic one.
_EXPLAINED = ("unknown_currency", "bad_method", "invalid_label")


def codes_path(slug: str) -> str:
    return f"/dashboard/m/{slug}/payment-codes"


def _list_page(
    request: Request, db: Session, state: AppState, principal: Principal, merchant: Merchant,
    *, values: dict[str, Any] | None = None, errors: list[Any] | None = None,
    notice: dict[str, Any] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    methods = paying.instant_methods(state, merchant.slug)
    found = paycodes.of_merchant(db, merchant.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    context = {
        "user": principal.user, "merchant": merchant, "codes": found.items,
        "codes_pager": pager(request, found, anchor="codes-h"),
        "can_edit": can_edit(db, principal, merchant), "currencies": CURRENCIES,
        "methods": methods, "errors": errors or [], "notice": notice,
        "values": values or {"currency": "CNY", "methods": methods[:1], "label": ""},
    }  # fmt: skip
    return page(request, "payment_codes.html", context, status=status)


@router.get("/dashboard/m/{slug}/payment-codes")
def payment_codes_page(
    request: Request, merchant: MerchantPage, db: FlashDbDep, state: StateDep,
    principal: SignedInDep,
) -> Response:  # fmt: skip
    notice = take_flash(request, db, _DONE)
    shown = _list_page(request, db, state, principal, merchant, notice=notice)
    return clear_flash(request, shown)


def _error(err: AppError) -> Any:
    if err.code in _EXPLAINED:
        return f"paycodes.error.{err.code}"
    return ("paycodes.error.generic", (("code", err.code),))


def _done(request: Request, merchant: Merchant, anchor: str, data: dict[str, Any]) -> Response:
    path = codes_path(merchant.slug)
    response = redirect(request, f"{path}#{anchor}")
    set_flash(request, response, path, _DONE, data)
    return response


@router.post("/dashboard/m/{slug}/payment-codes")
def create_payment_code(
    request: Request, form: FormDep, merchant: MerchantEditor, db: DbDep, state: StateDep,
    principal: SignedInDep,
) -> Response:  # fmt: skip
    chosen = [m for m in form.getlist("methods") if isinstance(m, str)][:8]
    values = {"currency": text(form, "currency")[:8].upper(), "methods": chosen,
              "label": text(form, "label")[:200]}  # fmt: skip
    allowed = paying.instant_methods(state, merchant.slug)
    try:
        data = PaymentCodeIn(currency=values["currency"], methods=chosen or [""],
                             label=values["label"] or None)  # fmt: skip
        if any(m not in allowed for m in data.methods):  # the page offers no other
            raise AppError("not a method settled here", code="bad_method", status=422)
        with db.begin_nested():
            pc = paycodes.create(db, state.keyring, merchant, currency=data.currency,
                                 methods=data.methods, label=data.label,
                                 actor=principal.signed_in_user())  # fmt: skip
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        code = "unknown_currency" if "currency" in bad else "invalid_label"
        code = "bad_method" if "methods" in bad else code
        return _list_page(request, db, state, principal, merchant, values=values,
                          errors=[f"paycodes.error.{code}"], status=422)  # fmt: skip
    except AppError as err:
        if err.status >= 500:
            raise
        return _list_page(request, db, state, principal, merchant, values=values,
                          errors=[_error(err)], status=err.status)  # fmt: skip
    return _done(request, merchant, f"pc-{pc.id}", {"done": "made", "id": pc.id})


def _own_code(db: Session, merchant: Merchant, payment_code_id: int) -> PaymentCode:
    pc = db.get(PaymentCode, payment_code_id) if 0 < payment_code_id < 2**31 else None
    if pc is None or pc.merchant_id != merchant.id:
        raise NotFound("no such payment code", code="payment_code_not_found")
    return pc


@router.post("/dashboard/m/{slug}/payment-codes/{payment_code_id}/withdraw")
def withdraw_payment_code(
    request: Request, payment_code_id: int, form: FormDep, merchant: MerchantEditor, db: DbDep
) -> Response:
    pc = _own_code(db, merchant, payment_code_id)
    changed = paycodes.withdraw(db, pc)
    return _done(request, merchant, f"pc-{pc.id}",
                 {"done": "withdrawn" if changed else "already", "id": pc.id})  # fmt: skip

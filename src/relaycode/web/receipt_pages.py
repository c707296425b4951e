"""Pages of receipts (docs/receipts.md): paying a shop's payment code, the receipt it
earns, and the verification link a holder sends a verifier (Figs. 10, 11).

The pay form carries an idempotency key made once per render, so a double submit (or
the browser resending the POST) pays once; the payment runs in a savepoint, so a
refusal (a short wallet) leaves nothing and the form is shown again with the reason.
Success is a 303 to the receipt, which says once (a flash) that it was just paid.
A verification link is checked by the signed-in verifier it names; anything else
(expired, forged, another user, a credential gone) is a refusal page with the reason.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.codes import render
from relaycode.codes.answers import code_text
from relaycode.credentials import repository as cred_repo
from relaycode.credentials.present import credential_out
from relaycode.credentials.service import READERS, effective_status, refusal
from relaycode.db.base import is_db_id, utcnow
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.merchants import repository as merchant_repo
from relaycode.models import Code, Credential, PaymentCode, ShopPayment, User
from relaycode.money import MoneyError, to_minor
from relaycode.receipts import links, paying
from relaycode.receipts.endpoints import receipt_out
from relaycode.state import AppState
from relaycode.web import credential_pages, i18n
from relaycode.web.buy import new_key
from relaycode.web.dashboard import FlashDbDep
from relaycode.web.flash import clear_flash, set_flash, take_flash
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
# Refusals the pay form explains; anything else is "could not be paid (code)".
_EXPLAINED = ("bad_amount", "insufficient_funds", "payment_method_unavailable",
              "idempotency_key_reused", "code_revoked", "payment_failed")  # fmt: skip


def _payment_code(db: Session, payment_code_id: int) -> PaymentCode:
    pc = db.get(PaymentCode, payment_code_id) if is_db_id(payment_code_id) else None
    if pc is None:
        raise NotFound("no such payment code", code="payment_code_not_found")
    return pc


def pay_methods(state: AppState, db: Session, pc: PaymentCode) -> list[str]:
    """The code's methods that settle at once and that a provider here takes."""
    merchant = merchant_repo.merchant_by_id(db, pc.merchant_id)
    takes = set(state.payments.methods(merchant.slug if merchant else None))
    return [m for m in pc.methods if m in paying.INSTANT and m in takes]


def _pay_page(
    request: Request, db: Session, state: AppState, user: User, pc: PaymentCode, *,
    key: str | None = None, values: dict[str, str] | None = None,
    errors: list[Any] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    merchant = merchant_repo.merchant_by_id(db, pc.merchant_id)
    context = {
        "user": user, "pc": pc, "merchant": merchant, "methods": pay_methods(state, db, pc),
        "key": key or new_key(), "values": values or {}, "errors": errors or [],
    }  # fmt: skip
    return page(request, "pay.html", context, status=status)


@router.get("/pay/{payment_code_id}")
def pay_page(
    request: Request, payment_code_id: Id, db: ReadDbDep, state: StateDep,
    principal: SignedInDep,
) -> Response:  # fmt: skip
    pc = _payment_code(db, payment_code_id)
    return _pay_page(request, db, state, principal.signed_in_user(), pc)


def _error(err: AppError) -> Any:
    if err.code in _EXPLAINED:
        return f"receipts.error.{err.code}"
    return ("receipts.error.generic", (("code", err.code),))


@router.post("/pay/{payment_code_id}")
def pay_submit(
    request: Request, payment_code_id: Id, form: FormDep, db: DbDep, state: StateDep,
    principal: SignedInDep,
) -> Response:  # fmt: skip
    user, pc = principal.signed_in_user(), _payment_code(db, payment_code_id)
    values = {"amount": text(form, "amount")[:40], "payment_method": text(form, "payment_method")}
    key = text(form, "idempotency_key")[:200]
    lang = i18n.pick_lang(request)
    try:
        amount = to_minor(values["amount"], pc.currency, i18n.number_locale(request, lang))
    except MoneyError:
        return _pay_page(request, db, state, user, pc, key=key, values=values,
                         errors=["receipts.error.bad_amount"], status=422)  # fmt: skip
    code = db.get(Code, pc.code_id)
    shown = code_text(state.settings, state.keyring, code) if code else None
    try:
        if shown is None:
            raise NotFound("this code's key was retired", code="key_retired")
        with db.begin_nested():
            done = paying.pay(db, state, user, code_text=shown, amount=amount,
                              method=values["payment_method"] or "wallet",
                              idempotency_key=key)  # fmt: skip
    except AppError as err:
        if err.status >= 500:
            raise
        return _pay_page(request, db, state, user, pc, key=key, values=values,
                         errors=[_error(err)], status=err.status)  # fmt: skip
    target = receipt_path(done.payment.id)
    response = redirect(request, target)
    set_flash(request, response, target, "receipt", {"notice": "paid"})
    return response


def receipt_path(payment_id: int) -> str:
    return f"/receipts/{payment_id}"


def qr_data_uri(value: str) -> str:
    svg = render.render_svg(value, render.RenderOptions(scale=4, border=2))
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


@router.get("/receipts/{payment_id}")
def receipt_page(
    request: Request, payment_id: Id, db: FlashDbDep, state: StateDep, principal: SignedInDep
) -> Response:
    user = principal.signed_in_user()
    sp = db.get(ShopPayment, payment_id) if is_db_id(payment_id) else None
    receipt = db.get(Credential, sp.credential_id) if sp and sp.credential_id else None
    if sp is None or receipt is None or sp.payer_user_id != user.id:
        raise NotFound("no such receipt", code="receipt_not_found")  # the holder's only
    merchant = merchant_repo.merchant_by_id(db, sp.merchant_id)
    out = receipt_out(state, db, receipt, user)
    flash = take_flash(request, db, "receipt") or {}
    context = {
        "user": user, "payment": sp, "merchant": merchant, "receipt": out,
        "qr": qr_data_uri(out.text), "status": effective_status(receipt, utcnow()),
        "notice": flash.get("notice") if isinstance(flash.get("notice"), str) else None,
    }  # fmt: skip
    return clear_flash(request, page(request, "receipt.html", context))


def _refused(request: Request, user: User, reason: str) -> Response:
    context = {"user": user, "reason": reason, "credential": None}
    return page(request, "verify_link.html", context, status=404 if reason == "not_found" else 403)


@router.get("/verify-link/{token}")
def verify_link_page(
    request: Request, token: str, db: ReadDbDep,
    state: StateDep, principal: SignedInDep,
) -> Response:  # fmt: skip
    """Read only: the check is shown, not logged (a GET writes nothing)."""
    user = principal.signed_in_user()
    try:
        link = links.read_token(state.keyring, token)
    except links.LinkRefused as err:
        return _refused(request, user, str(err.details.get("reason") or "bad_link"))
    if link.verifier_id != user.id:
        return _refused(request, user, "wrong_user")
    c = cred_repo.credential_by_id(db, link.credential_id)
    if c is None:
        return _refused(request, user, "not_found")
    if not user.is_operator and cred_repo.role_in(db, c.merchant_id, user.id) not in READERS:
        return _refused(request, user, "not_a_verifier")
    now = utcnow()
    refused = refusal(c, now)
    merchant = merchant_repo.merchant_by_id(db, c.merchant_id)
    out = credential_out(db, c, status=effective_status(c, now), team=True)
    context = {
        "user": user, "reason": None, "credential": out, "merchant": merchant,
        "valid": refused is None, "refusal": refused.code if refused else None,
        "expires_at": link.expires_at,
    }  # fmt: skip
    return page(request, "verify_link.html", context)


LINK_ERRORS = ("not_a_verifier", "not_holder", "invalid_holder", "user_not_found")


@router.post("/me/credentials/{credential_id}/verification-link")
def send_verification_link(
    request: Request,
    credential_id: str,
    form: FormDep,
    db: DbDep,
    state: StateDep,
    principal: SignedInDep,
) -> Response:
    """Fig. 8's alternative: the server sends a verifier of the issuer a short-lived
    link that shows this credential (receipts/links.py)."""
    to = text(form, "verifier")[:64]
    try:
        links.send(db, state.keyring, principal.signed_in_user(), credential_id[:64], to)
    except AppError as err:
        if err.status >= 500:
            raise
        db.rollback()
        key = err.code if err.code in LINK_ERRORS else "generic"
        return credential_pages.detail_page(
            request,
            db,
            state,
            principal,
            credential_id[:64],
            typed_verifier=to,
            link_errors=[f"credpages.error.{key}"],
            status=err.status,
        )
    path = credential_pages.mine_path(credential_id[:64])
    response = redirect(request, path)
    set_flash(request, response, path, "credential", {"notice": "link_sent"})
    return response

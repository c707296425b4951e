"""Commissions on the wallet page (balances, recent commissions, a withdrawal form and
its history) and the operators' withdrawal queue at /admin/withdrawals. The rules are
the API's (referrals/withdrawals.py); these pages only read forms and show results."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.deps import DbDep
from relaycode.errors import AppError, Forbidden
from relaycode.identity.auth import Principal
from relaycode.models import User
from relaycode.money import MoneyError, to_minor
from relaycode.referrals import commission_repository as repo
from relaycode.referrals import withdrawals
from relaycode.safetext import check_line
from relaycode.web import i18n
from relaycode.web.dashboard import FlashDbDep
from relaycode.web.flash import clear_flash, set_flash, take_flash
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()
RECENT = 10
STATUSES = ("requested", "approved", "rejected")
_ERRORS = ("insufficient_funds", "invalid_amount", "unknown_currency", "idempotency_key_reused")
_NOTICES = ("requested", "approved", "rejected")


def commission_context(
    request: Request,
    db: Session,
    user: User,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """What the wallet page shows of commissions and withdrawals."""
    balances = repo.balances(db, user.id)
    recent = repo.my_commissions(db, user.id, status=None, cursor=None, limit=RECENT)
    history = repo.my_withdrawals(
        db, user.id, cursor=cursor_of(request, "wcursor"), limit=PAGE_SIZE
    )
    withdrawable = [cur for cur, b in balances.items() if b["commissions_available"] > 0]
    default = {
        "amount": "",
        "currency": (withdrawable or list(balances) or ["CNY"])[0],
        "payout_details": user.payment_account or "",
        # A fresh key per form shown: a double submit of this form is one withdrawal.
        "key": secrets.token_urlsafe(18),
    }
    return {
        "commission_balances": balances,
        "recent_commissions": recent.items,
        "withdrawals": history.items,
        "withdrawals_pager": pager(request, history, param="wcursor", anchor="withdrawals-h"),
        "withdrawable": withdrawable,
        "withdraw_form": {**default, **(form or {})},
        "withdraw_errors": errors or [],
        "withdraw_notice": notice if notice in _NOTICES else None,
    }


def _locale(request: Request) -> str:
    return i18n.number_locale(request, i18n.pick_lang(request))


def _read(form: Any, request: Request) -> tuple[dict[str, str], int | None, list[str]]:
    values = {
        "amount": text(form, "amount")[:40],
        "currency": text(form, "currency").upper()[:3] or "CNY",
        "payout_details": text(form, "payout_details")[:400],
        "key": text(form, "key")[:80],
    }
    errors: list[str] = []
    amount: int | None = None
    try:
        amount = to_minor(values["amount"], values["currency"], _locale(request))
        if amount <= 0:
            errors.append("withdraw.error.invalid_amount")
    except MoneyError:
        errors.append("withdraw.error.invalid_amount")
    details = values["payout_details"].strip()
    try:
        check_line(details)
        if not 1 <= len(details) <= 200:
            raise ValueError("length")
    except ValueError:
        errors.append("withdraw.error.payout_details")
    if not values["key"]:
        values["key"] = secrets.token_urlsafe(18)
    return values, amount, errors


@router.post("/wallet/withdrawals")
def request_withdrawal(
    request: Request, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    from relaycode.web.wallet import wallet_response  # the page this form lives on

    user = principal.signed_in_user()
    values, amount, errors = _read(form, request)
    status = 422
    if not errors and amount is not None:
        try:
            withdrawals.request(
                db, user, amount, values["currency"], values["payout_details"].strip(),
                f"page:{values['key']}",
            )  # fmt: skip
        except AppError as err:
            key = err.code if err.code in _ERRORS else "invalid"
            errors, status = [f"withdraw.error.{key}"], err.status
        else:
            response = redirect(request, "/wallet#withdrawals-h")
            set_flash(request, response, "/wallet", "withdrawal", {"notice": "requested"})
            return response
    extra = commission_context(request, db, user, form=values, errors=errors)
    return wallet_response(request, db, principal, extra, status=status)


# ---- operators ----------------------------------------------------------------------


def _operator(principal: Principal) -> User:
    user = principal.signed_in_user()
    if not user.is_operator:
        raise Forbidden("only operators handle withdrawals", code="not_operator")
    return user


@router.get("/admin/withdrawals")
def withdrawal_queue(request: Request, db: FlashDbDep, principal: SignedInDep) -> Response:
    user = _operator(principal)
    wanted = request.query_params.get("status", "requested")
    status = wanted if wanted in STATUSES else None
    found = repo.withdrawal_queue(db, status=status, cursor=cursor_of(request), limit=PAGE_SIZE)
    flash = take_flash(request, db, "withdrawal_queue")
    notice = (flash or {}).get("notice")
    context = {
        "user": user,
        "status": status,
        "statuses": STATUSES,
        "items": found.items,
        "items_pager": pager(request, found, anchor="queue-h"),
        "notice": notice if notice in _NOTICES else None,
        "csv_url": "/api/v1/admin/withdrawals.csv" + (f"?status={status}" if status else ""),
    }
    return clear_flash(request, page(request, "admin_withdrawals.html", context))


def _decide(
    request: Request, db: Session, principal: Principal, wid: int, approve: bool, form: Any
) -> Response:
    user = _operator(principal)
    note = text(form, "note").strip()[:200] or None
    if note is not None:
        try:
            check_line(note)
        except ValueError:
            note = None
    withdrawals.decide(db, user, wid, approve=approve, note=note)
    back = text(form, "status")
    path = "/admin/withdrawals"
    response = redirect(request, path + (f"?status={back}" if back in STATUSES else "?status="))
    set_flash(request, response, path, "withdrawal_queue",
              {"notice": "approved" if approve else "rejected"})  # fmt: skip
    return response


@router.post("/admin/withdrawals/{withdrawal_id}/approve")
def approve(
    request: Request, withdrawal_id: int, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    return _decide(request, db, principal, withdrawal_id, True, form)


@router.post("/admin/withdrawals/{withdrawal_id}/reject")
def reject(
    request: Request, withdrawal_id: int, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    return _decide(request, db, principal, withdrawal_id, False, form)

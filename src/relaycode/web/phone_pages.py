"""The phone section of the account: enter a number, get a code, prove it (docs/phone.md).

Post-redirect-get: a sent code and a verified number answer 303 to /account/phone,
which shows the state from the database (a code on its way, the masked number). The
full number is never in the page, the URL or a cookie: the code form proves the number
the code was sent to, which the server knows.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import AppError
from relaycode.identity import phone_codes
from relaycode.identity.phone_codes import PhoneCodeRejected
from relaycode.identity.phone_endpoints import verifier
from relaycode.models import User
from relaycode.web import i18n
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()
PATH = "/account/phone"


def _page(
    request: Request, db: Session, user: User, *, errors: list[str], typed: str = "",
    status: int = 200,
) -> Response:  # fmt: skip
    state = phone_codes.state_of(db, user)
    # Only what was just typed is shown back in full (to correct it); a stored number,
    # verified or only claimed, is shown masked, as everywhere.
    context: dict[str, Any] = {"user": user, "phone": state, "typed": typed, "errors": errors}
    return page(request, "account_phone.html", context, status=status)


def _error(request: Request, db: Session, user: User, err: AppError, typed: str = "") -> Response:
    if err.status >= 500:
        raise err
    response = _page(request, db, user, errors=[f"phone.error.{err.code}"], typed=typed,
                     status=err.status)  # fmt: skip
    if "retry_after" in err.details:
        response.headers["Retry-After"] = str(err.details["retry_after"])
    return response


@router.get(PATH)
def phone_page(request: Request, db: ReadDbDep, principal: SignedInDep) -> Response:
    return _page(request, db, principal.signed_in_user(), errors=[])


@router.post(PATH)
def send_code(
    request: Request, form: FormDep, db: DbDep, state: StateDep, principal: SignedInDep
) -> Response:
    user, typed = principal.signed_in_user(), text(form, "phone")[:40]
    claimed = not typed and bool(text(form, "claim")) and user.phone
    number = user.phone if claimed and user.phone else typed  # "the number I gave at sign-up"
    try:
        verifier(state).request_code(db, user, number, i18n.pick_lang(request))
    except AppError as err:
        db.rollback()  # nothing of a refused request is kept
        return _error(request, db, user, err, typed)
    return redirect(request, PATH)


@router.post(f"{PATH}/verify")
def verify(
    request: Request, form: FormDep, db: DbDep, state: StateDep, principal: SignedInDep
) -> Response:
    user, code = principal.signed_in_user(), text(form, "code")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return _page(request, db, user, errors=["phone.error.bad_code_format"], status=422)
    try:
        sent_to = phone_codes.pending_phone(db, user)
        if sent_to is None:
            raise PhoneCodeRejected("no code on its way", code="code_expired", status=410)
        verifier(state).verify_code(db, user, sent_to, code)
    except PhoneCodeRejected as err:
        # Shown, not raised: the wrong attempt it counted is committed with the page.
        return _error(request, db, user, err)
    except AppError as err:
        db.rollback()
        return _error(request, db, user, err)
    return redirect(request, PATH)


@router.post(f"{PATH}/remove")
def remove(request: Request, form: FormDep, db: DbDep, principal: SignedInDep) -> Response:
    phone_codes.remove_phone(db, principal.signed_in_user())
    return redirect(request, PATH)

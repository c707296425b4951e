"""Sign in, register, sign out (cookie sessions) and the account's devices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import AppError
from relaycode.identity import repository as id_repo
from relaycode.identity import service
from relaycode.identity.auth import PrincipalDep
from relaycode.identity.schemas import LoginIn, RegisterIn
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import (
    FormDep,
    SignedInDep,
    device_key_missing,
    optional,
    safe_next,
    sign_in,
    sign_out,
    text,
)

router = APIRouter()


@router.get("/login")
def login_form(request: Request, principal: PrincipalDep, next: str | None = None) -> Response:
    if principal.user is not None:
        return redirect(request, safe_next(next))
    return page(request, "login.html", {"next": safe_next(next), "username": "", "errors": []})


@router.post("/login")
def login(request: Request, form: FormDep, db: DbDep, state: StateDep) -> Response:
    username = text(form, "username")
    next_url = safe_next(optional(form, "next"))
    context: dict[str, Any] = {"next": next_url, "username": username}
    try:
        data = LoginIn(username=username, password=str(form.get("password", "")))
    except ValidationError:
        # An empty field, or characters no username has: the same message as a wrong one.
        return page(request, "login.html", {**context, "errors": ["auth.bad_credentials"]},
                    status=422)  # fmt: skip
    try:
        with state.throttle.login(request, data.username):
            user = service.authenticate(db, state.passwords, data.username, data.password)
    except AppError as err:
        # One message for an unknown user and a wrong password.
        return _auth_error(request, "login.html", context, err)
    return sign_in(request, db, state, user, next_url)


def _auth_error(
    request: Request, template: str, context: dict[str, Any], err: AppError
) -> Response:
    """The form again with the reason; a server-side failure gets the error page."""
    if err.status >= 500:
        raise err
    limited = err.status == 429
    key = "auth.rate_limited" if limited else f"auth.{err.code}"
    response = page(request, template, {**context, "errors": [key]}, status=err.status)
    if limited:
        response.headers["Retry-After"] = str(err.details.get("retry_after", 60))
    return response


@router.get("/register")
def register_form(request: Request, principal: PrincipalDep) -> Response:
    if principal.user is not None:
        return redirect(request, "/dashboard")
    return page(request, "register.html", {"values": {}, "errors": []})


_REGISTER_FIELDS = ("username", "password", "display_name", "phone")


@router.post("/register")
def register(request: Request, form: FormDep, db: DbDep, state: StateDep) -> Response:
    values = {name: text(form, name) for name in _REGISTER_FIELDS}
    shown = {k: values[k] for k in ("username", "display_name", "phone")}
    errors: list[str] = []
    if values["password"] != text(form, "password2"):
        errors.append("auth.password_mismatch")
    try:
        data = RegisterIn(
            username=values["username"],
            password=values["password"],
            display_name=values["display_name"] or None,
            phone=values["phone"] or None,
        )
    except ValidationError as exc:
        fields = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        errors += [f"auth.invalid_{f}" for f in _REGISTER_FIELDS if f in fields]
    if errors:
        return page(request, "register.html", {"values": shown, "errors": errors}, status=422)
    try:
        address = state.throttle.signup(request, "register")
        region = state.settings.default_phone_region
        user = service.register(db, state.passwords, data, phone_region=region)
    except AppError as err:
        return _auth_error(request, "register.html", {"values": shown}, err)
    state.throttle.remember(user.username or "", address)
    # A number given here is only a claim: the phone page proves it with a code.
    return sign_in(request, db, state, user, "/account/phone" if user.phone else "/dashboard")


@router.post("/logout")
def logout(request: Request, form: FormDep, principal: PrincipalDep, db: DbDep) -> Response:
    """Revoke this session (the form is read for its CSRF token only)."""
    if principal.session is not None:
        service.end_session(db, principal.session)
    return sign_out(request, redirect(request, "/"))


@router.get("/account/devices")
def devices(request: Request, db: ReadDbDep, principal: SignedInDep) -> Response:
    user_id = principal.signed_in_user().id
    found = id_repo.devices_page(db, user_id, cursor=cursor_of(request), limit=PAGE_SIZE)
    context = {
        "user": principal.user,
        "devices": found.items,
        "devices_pager": pager(request, found),
        "current": principal.device.id if principal.device else None,
        "device_key_missing": device_key_missing(principal),
    }
    return page(request, "devices.html", context)


@router.post("/account/devices/{device_uid}/revoke")
def revoke_device(
    request: Request, device_uid: str, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    service.revoke_device(db, principal.signed_in_user(), device_uid)
    return redirect(request, "/account/devices")

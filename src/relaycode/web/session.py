"""Cookie sessions for pages, and the CSRF-checked form every page POST reads."""

from __future__ import annotations

import re
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from relaycode.errors import Forbidden
from relaycode.identity import service
from relaycode.identity.auth import Principal, PrincipalDep, csrf_ok
from relaycode.identity.cookies import (
    CSRF_COOKIE,
    DEVICE_COOKIE,
    SESSION_COOKIE,
    cookie_name,
    read_cookie,
)
from relaycode.models import User
from relaycode.state import AppState
from relaycode.web.render import redirect, set_site_cookie

_DEVICE_DAYS = 5 * 365
_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("OPR/", "Opera"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
_NEXT = re.compile(r"^/(?![/\\])[\x21-\x7e]*$")


async def csrf_form(request: Request) -> FormData:
    """The POSTed form, once its ``csrf`` field matches the ``rc_csrf`` cookie."""
    limit = request.app.state.rc.settings.max_upload_bytes
    form = await request.form(max_files=1, max_fields=60, max_part_size=limit)
    submitted = form.get("csrf")
    if not csrf_ok(request, submitted if isinstance(submitted, str) else None):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    return form


FormDep = Annotated[FormData, Depends(csrf_form)]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def upload(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """Only a path of this site: never ``//evil.example`` or ``/\\evil.example``."""
    return value if value and _NEXT.match(value) else default


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(request, "/login?next=" + quote(target, safe="/"))


class SignInRequired(Exception):
    """A page for signed-in users was asked for anonymously: answered by a redirect."""


async def sign_in_redirect(request: Request, _exc: Exception) -> Response:
    return login_redirect(request)


async def signed_in(principal: PrincipalDep) -> Principal:
    if principal.user is None:
        raise SignInRequired()
    return principal


# For pages: the principal of a signed-in user; anyone else is sent to sign in first.
SignedInDep = Annotated[Principal, Depends(signed_in)]


def device_label(user_agent: str | None) -> str:
    ua = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in ua), "Browser")
    system = next((name for token, name in _SYSTEMS if token in ua), "")
    return f"{browser} · {system}" if system else browser


def sign_in(request: Request, db: Session, state: AppState, user: User, next_url: str) -> Response:
    """Start a cookie session on this browser's device record and go to ``next_url``."""
    label = device_label(request.headers.get("user-agent"))
    device = service.attach_device(db, user, read_cookie(request, DEVICE_COOKIE), label)
    days = state.settings.session_days
    started = service.start_session(db, user, device, kind="cookie", days=days)
    response = redirect(request, next_url)
    set_site_cookie(request, response, SESSION_COOKIE, started.secret, days=days, httponly=True)
    set_site_cookie(
        request, response, DEVICE_COOKIE, device.device_uid, days=_DEVICE_DAYS, httponly=True
    )
    # A fresh CSRF token per sign-in: one planted before sign-in is worth nothing after.
    token = secrets.token_urlsafe(24)
    set_site_cookie(request, response, CSRF_COOKIE, token, days=365, httponly=False)
    return response


def sign_out(request: Request, response: Response) -> Response:
    secure = request.app.state.rc.secure_cookies
    name = cookie_name(request, SESSION_COOKIE)
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure)
    return response


def device_key_missing(principal: Principal) -> bool:
    """Signed in from a browser that has not registered its device key yet."""
    device = principal.device
    return principal.via_cookie and device is not None and device.public_key is None

"""Rendering pages: Jinja2 templates, language, CSRF cookie, security headers, errors."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

from babel import Locale
from babel.dates import format_skeleton, format_time
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.routing import Match

from relaycode.catalog.status import effective_status
from relaycode.errors import AppError
from relaycode.identity.cookies import CSRF_COOKIE, SESSION_COOKIE, cookie_name, read_cookie
from relaycode.money import MoneyError, format_input, format_minor
from relaycode.web import i18n, security
from relaycode.web.builtin_words import shown

_HERE = Path(__file__).parent
_STATIC = _HERE / "static"
STATIC_DIR = _STATIC  # for web/offline.py
_UNSAFE_IN_PATH = re.compile(r"[\t\n\r]")
TZ_COOKIE = "rc_tz"  # minutes west of UTC, as JavaScript's getTimezoneOffset() says
# Reasons a code of ours is refused (codes.classify / codes.service), and their status.
CODE_REASONS = {
    "revoked": 410,
    "expired": 410,
    "unknown_code": 404,
    "bad_tag": 400,
    "unknown_key": 400,
    "malformed": 400,
    # A share made on a phone, refused when first resolved (referrals/offline.py).
    "device_revoked": 403,
    "unknown_parent": 404,
    "too_deep": 409,
    # A signed credential or rotating presentation (codes/credential_token.py).
    "bad_signature": 400,
    "wrong_issuer": 400,
    "not_yet_valid": 409,
    "stale_presentation": 400,
    "bad_proof": 400,
    "unverified": 400,
}

env = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(["html"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@lru_cache(maxsize=64)
def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: long caching without stale files."""
    digest = hashlib.sha256((_STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


def csrf_token(request: Request) -> str:
    """The double-submit token: the cookie's value, or a new one set with this response."""
    token = read_cookie(request, CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return str(token)


def client_tz(request: Request) -> timezone:
    raw = request.cookies.get(TZ_COOKIE, "")
    try:
        minutes = int(raw)
    except ValueError:
        return UTC
    if not -16 * 60 <= minutes <= 16 * 60:
        return UTC
    return timezone(timedelta(minutes=-minutes))


def local_time(request: Request, value: datetime | None, locale: str = "en") -> str:
    """``Dec 31, 2035, 6:00 PM (UTC+08:00)``, in the reader's time zone and locale."""
    if value is None:
        return ""
    tz = client_tz(request)
    local = value.astimezone(tz)
    offset = local.strftime("%z")
    label = "UTC" if offset == "+0000" else f"UTC{offset[:3]}:{offset[3:]}"
    loc = Locale.parse(locale)
    day = format_skeleton("yMMMd", local, locale=loc)
    hour = format_time(local, "short", tzinfo=tz, locale=loc)
    both = str(loc.datetime_formats["medium"]).replace("{1}", day).replace("{0}", hour)
    return f"{both} ({label})"


def _when(request: Request, value: datetime | str | None, locale: str) -> str:
    """local_time, also of a time stored as ISO 8601 text (a receipt's); other text as is."""
    if not isinstance(value, str):
        return local_time(request, value, locale)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return local_time(request, aware, locale)


def price_text(minor: int, currency: str, locale: str) -> str:
    """A price for reading; an offer stored with a code Babel does not know still shows."""
    try:
        return format_minor(minor, currency, locale)
    except MoneyError:
        return f"{minor} {currency}"


def price_input(minor: int, currency: str, locale: str) -> str:
    try:
        return format_input(minor, currency, locale)
    except MoneyError:
        return str(minor)


def local_path(request: Request) -> str:
    """The request's path as a link that can only lead to this site.

    Built from the path alone, as the client sent it (still percent-encoded), with the
    characters a URL parser drops (tab, CR, LF) removed and any run of leading slashes or
    backslashes cut to one "/": ``GET //evil.example/x`` must not give a link to
    ``//evil.example/x``, which a browser reads as another host.
    """
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(request.url.path, safe="/:@!$&'()*+,;=~")
    return "/" + _UNSAFE_IN_PATH.sub("", path).lstrip("/\\")


def _has_get_page(request: Request, path: str) -> bool:
    scope = {**request.scope, "method": "GET", "path": unquote(path)}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


def _switch_url(request: Request, other: str) -> str:
    """The same page in the other language (DESIGN: the switch keeps you where you are)."""
    path = local_path(request)
    if request.method not in ("GET", "HEAD"):
        # A page drawn in answer to a form post: its address shows the page again, if it
        # has one (a re-shown login form does; an action such as /logout does not).
        return path + f"?lang={other}" if _has_get_page(request, path) else f"/?lang={other}"
    # A handler may add to the link, e.g. a code page marks it "seen" so that switching
    # the language is not counted as a second scan.
    extra: dict[str, str] = getattr(request.state, "switch_query", {})
    query = [
        (k, v) for k, v in request.query_params.multi_items() if k != "lang" and k not in extra
    ]
    return path + "?" + urlencode([*query, *extra.items(), ("lang", other)])


def set_site_cookie(
    request: Request, response: Response, name: str, value: str, *, days: int, httponly: bool
) -> None:
    """Every cookie of ours: first-party (SameSite=Lax), Secure when the site is HTTPS,
    then also named ``__Host-<name>`` (identity/cookies.py) for the ones that matter."""
    response.set_cookie(
        cookie_name(request, name),
        value,
        max_age=days * 86400,
        path="/",
        httponly=httponly,
        samesite="lax",
        secure=request.app.state.rc.secure_cookies,
    )


def finish(request: Request, response: Response) -> Response:
    """Cookies every page keeps (CSRF, chosen language) and the security headers."""
    new_csrf = getattr(request.state, "new_csrf", None)
    if new_csrf and not read_cookie(request, CSRF_COOKIE):
        # Readable by our JS (it echoes the value in X-CSRF-Token), so not HttpOnly.
        set_site_cookie(request, response, CSRF_COOKIE, new_csrf, days=365, httponly=False)
    asked = i18n.requested_lang(request)
    if asked and request.cookies.get(i18n.LANG_COOKIE) != asked:
        set_site_cookie(request, response, i18n.LANG_COOKIE, asked, days=365, httponly=False)
    if response.media_type == "text/html" or isinstance(response, RedirectResponse):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Vary", "Cookie, Accept-Language")
    return security.apply_headers(response)


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    lang = i18n.pick_lang(request)
    t = i18n.Translator(lang)
    locale = i18n.number_locale(request, lang)
    other = "zh-CN" if lang == "en" else "en"
    values: dict[str, Any] = {
        "request": request,
        "t": t,
        "lang": lang,
        "other_lang": other,
        "switch_url": _switch_url(request, other),
        "csrf": csrf_token(request),
        "static": static_url,
        "price": lambda minor, cur: price_text(minor, cur, locale),
        "when": lambda value: _when(request, value, locale),
        # A built-in template's name or label (receipts, vouchers) in the page's language.
        "shown": lambda kind, text: shown(lang, kind, text),
        # An offer's badge shows what scanners meet now (ended, not started), not only
        # what the merchant set (catalog/status.py).
        "status_of": lambda offer: effective_status(offer, datetime.now(UTC)),
        "user": None,
        "signed_in": read_cookie(request, SESSION_COOKIE) is not None,
        "device_key_missing": False,
    }
    values.update(context or {})
    html = env.get_template(template).render(values)
    return finish(request, HTMLResponse(html, status_code=status))


def redirect(request: Request, url: str) -> Response:
    """303 after a POST, so a reload does not resubmit the form."""
    return finish(request, RedirectResponse(url, status_code=303))


def error_texts(t: i18n.Translator, err: AppError) -> tuple[str, str]:
    """(title, message) for an error, both translated; never the raw English message."""
    if err.code in CODE_REASONS:
        return t("error.code_invalid.title"), t(f"reason.{err.code}")
    title_key = f"error.http.{err.status}"
    title = t(title_key) if t.has(title_key) else t("error.title")
    key = f"error.{err.code}"
    return title, t(key) if t.has(key) else t("error.generic")


def render_error(request: Request, err: AppError) -> Response:
    t = i18n.Translator(i18n.pick_lang(request))
    title, message = error_texts(t, err)
    context = {"title": title, "message": message, "error": err}
    return page(request, "error.html", context, status=err.status)

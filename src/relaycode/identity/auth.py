"""Who is calling: a cookie session, a bearer API token, or a merchant API key."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from relaycode.db.base import utcnow
from relaycode.errors import Forbidden, Unauthorized
from relaycode.identity import repository as repo
from relaycode.identity import service
from relaycode.identity.activity import is_stale
from relaycode.identity.cookies import CSRF_COOKIE, SESSION_COOKIE, read_cookie
from relaycode.identity.tokens import MERCHANT_KEY_PREFIX, hash_secret
from relaycode.merchants import repository as merchant_repo
from relaycode.models import AuthSession, Device, MerchantApiKey, User

if TYPE_CHECKING:
    from relaycode.state import AppState

CSRF_HEADER = "x-csrf-token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Principal:
    user: User | None = None
    device: Device | None = None
    session: AuthSession | None = None
    api_key: MerchantApiKey | None = None
    via_cookie: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_anonymous(self) -> bool:
        return self.user is None and self.api_key is None

    def signed_in_user(self) -> User:
        """The user, for code that only runs once sign-in was checked."""
        if self.user is None:
            raise Unauthorized("sign in first", code="not_signed_in")
        return self.user


def csrf_ok(request: Request, submitted: str | None) -> bool:
    expected = read_cookie(request, CSRF_COOKIE)
    return bool(expected and submitted and hmac.compare_digest(expected, submitted))


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def get_principal(request: Request) -> Principal:
    """Who is calling. Anonymous callers cost nothing; credentials are checked in a
    worker thread, in a short read-only transaction of their own.

    Reading only: being signed in writes nothing in the request's transaction (on
    SQLite a write would take the writer gate for every signed-in page view). The
    "last seen" times are noted and written in batches (``identity/activity.py``).
    The principal's objects are detached: change them through the request's session.
    """
    bearer = _bearer(request)
    if not bearer and not read_cookie(request, SESSION_COOKIE):
        return Principal()
    return await run_in_threadpool(_load_detached, request, bearer)


# The scan lane answers outside the dependency solver; it calls the same thing.
get_principal_standalone = get_principal


def _load_detached(request: Request, bearer: str | None) -> Principal:
    state: AppState = request.app.state.rc
    with state.db.read_transaction() as db:
        principal = _load_principal(request, db, bearer)
    now = utcnow()
    if principal.api_key is not None and is_stale(principal.api_key.last_used_at, now):
        state.activity.key_used(principal.api_key.id, now)
    if principal.device is not None and is_stale(principal.device.last_seen_at, now):
        state.activity.device_seen(principal.device.id, now)
    return principal


def _load_principal(request: Request, db: Session, bearer: str | None) -> Principal:
    if bearer and bearer.startswith(MERCHANT_KEY_PREFIX):
        key = merchant_repo.api_key_by_hash(db, hash_secret(bearer))
        if key is None or key.revoked_at is not None:
            raise Unauthorized("unknown or revoked API key", code="bad_token")
        return Principal(api_key=key, scopes=frozenset(key.scopes.split()))
    secret = bearer or read_cookie(request, SESSION_COOKIE)
    if not secret:
        return Principal()
    session = service.resolve_session(db, secret)
    if session is None:
        if bearer:
            raise Unauthorized("unknown, expired or revoked token", code="bad_token")
        return Principal()  # a stale cookie just means "signed out"
    via_cookie = bearer is None
    # Cookie-authenticated API writes come from our own pages' JS, which echoes the
    # CSRF cookie in a header; a cross-site form cannot.
    api_write = request.method in _UNSAFE and request.url.path.startswith("/api/")
    if via_cookie and api_write and not csrf_ok(request, request.headers.get(CSRF_HEADER)):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    user = repo.user_by_id(db, session.user_id)
    device = repo.device_by_id(db, session.device_id) if session.device_id else None
    return Principal(user=user, device=device, session=session, via_cookie=via_cookie)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def require_user(principal: PrincipalDep) -> User:
    if principal.user is None:
        raise Unauthorized("sign in first", code="not_signed_in")
    return principal.user


UserDep = Annotated[User, Depends(require_user)]

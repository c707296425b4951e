"""FastAPI dependencies that load a merchant (or an offer and its merchant) and check
that the caller may act for it, so a route states its rule in its signature::

    OwnerOf = Annotated[Merchant, Depends(merchant_access(OWNERS, "members:write"))]

    @router.get("/merchants/{slug}/members")
    def list_members(merchant: OwnerOf, db: DbDep) -> ...

They read the ``slug`` or ``offer_id`` path parameter. Pages pass their own principal
dependency (one that sends anonymous visitors to sign in); the API uses the caller's
credentials as they are, so an anonymous request gets 401.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at runtime,
# and the closures' defaults (``Depends(principal)``) must be real objects.

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends
from sqlalchemy.orm import Session

from relaycode.catalog.service import get_offer
from relaycode.deps import get_db, get_read_db
from relaycode.errors import NotFound
from relaycode.identity.auth import Principal, get_principal
from relaycode.merchants import repository as repo
from relaycode.merchants.service import authorize, get_merchant
from relaycode.models import Merchant, Offer

PrincipalGetter = Callable[..., Awaitable[Principal]]
# The (roles, scope) a dependency made here checks, kept on it so a test can compare
# the rule of the API route with the page doing the same thing.
RULE = "rc_access_rule"


@dataclass(frozen=True)
class OfferAccess:
    """An offer the caller was allowed at, with its merchant."""

    offer: Offer
    merchant: Merchant


def load_offer(
    db: Session, principal: Principal, offer_id: int, *, roles: tuple[str, ...], scope: str
) -> OfferAccess:
    """The offer ``offer_id`` and its merchant, once ``principal`` may act for it."""
    offer = get_offer(db, offer_id)
    merchant = repo.merchant_by_id(db, offer.merchant_id)
    if merchant is None:  # the foreign key forbids it; say "not found" all the same
        raise NotFound("no such offer", code="offer_not_found")
    authorize(db, principal, merchant, roles=roles, scope=scope)
    return OfferAccess(offer=offer, merchant=merchant)


def _session(readonly: bool) -> Any:
    """The request's session: the same object as the route's ``DbDep``/``ReadDbDep``
    (FastAPI caches a dependency per request), so a route declares one of them."""
    return Depends(get_read_db if readonly else get_db, scope="function")


def merchant_access(
    roles: tuple[str, ...],
    scope: str,
    *,
    lock: bool = False,
    readonly: bool = False,
    principal: PrincipalGetter = get_principal,
) -> Callable[..., Merchant]:
    """A dependency: the merchant named by ``{slug}``, for callers with ``roles``/``scope``.

    ``lock=True`` takes the merchant's row lock *before* the caller's role is read, for
    changes to the team: an owner demoted a moment ago is refused, not served.
    ``readonly=True`` for routes that write nothing: the request's one session is then
    the read-only one (on SQLite it skips the process-wide writer gate).
    """
    if lock and readonly:
        raise ValueError("a row lock needs a writable session")

    def merchant_dep(
        slug: str, who: Principal = Depends(principal), db: Session = _session(readonly)
    ) -> Merchant:
        merchant = get_merchant(db, slug, for_update=lock)
        authorize(db, who, merchant, roles=roles, scope=scope)
        return merchant

    return merchant_dep


def offer_access(
    roles: tuple[str, ...],
    scope: str,
    *,
    readonly: bool = False,
    principal: PrincipalGetter = get_principal,
) -> Callable[..., OfferAccess]:
    """A dependency: the offer named by ``{offer_id}`` and its merchant, as ``load_offer``
    (``readonly`` as for ``merchant_access``)."""

    def offer_dep(
        offer_id: int, who: Principal = Depends(principal), db: Session = _session(readonly)
    ) -> OfferAccess:
        return load_offer(db, who, offer_id, roles=roles, scope=scope)

    setattr(offer_dep, RULE, (roles, scope))
    return offer_dep

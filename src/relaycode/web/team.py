"""A merchant's team and API keys, for its owners: who may do what, and which systems."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from relaycode.catalog import merchants
from relaycode.deps import DbDep
from relaycode.errors import AppError
from relaycode.identity import repository as id_repo
from relaycode.identity.auth import Principal
from relaycode.identity.schemas import ApiKeyIn, MemberIn
from relaycode.models import Merchant
from relaycode.web.dashboard import merchant_for
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()
OWNERS = ("owner",)
SCOPES = ("offers:read", "offers:write", "codes:issue", "scan")


def _team_page(
    request: Request,
    db: Session,
    principal: Principal,
    merchant: Merchant,
    *,
    errors: list[str] | None = None,
    new_key: str | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "user": principal.user,
        "merchant": merchant,
        "members": id_repo.members_of(db, merchant.id),
        "keys": id_repo.api_keys_of(db, merchant.id),
        "scopes": SCOPES,
        "roles": ("owner", "staff", "verifier"),
        "errors": errors or [],
        "new_key": new_key,
    }
    return page(request, "team.html", context, status=status)


@router.get("/dashboard/m/{slug}/team")
def team(request: Request, slug: str, db: DbDep, principal: SignedInDep) -> Response:
    merchant = merchant_for(db, principal, slug, OWNERS)
    return _team_page(request, db, principal, merchant)


@router.post("/dashboard/m/{slug}/team/members")
def set_member(
    request: Request, slug: str, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    merchant = merchant_for(db, principal, slug, OWNERS)
    try:
        data = MemberIn(username=text(form, "username"), role=text(form, "role"))
        if text(form, "remove"):
            merchants.remove_member(db, merchant, data.username)
        else:
            merchants.set_member(db, merchant, data.username, data.role)
    except ValidationError:
        return _team_page(request, db, principal, merchant, errors=["team.invalid"], status=422)
    except AppError as err:
        return _team_page(
            request, db, principal, merchant, errors=[f"team.{err.code}"], status=err.status
        )
    return redirect(request, f"/dashboard/m/{slug}/team")


@router.post("/dashboard/m/{slug}/team/keys")
def create_key(
    request: Request, slug: str, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    merchant = merchant_for(db, principal, slug, OWNERS)
    chosen = [s for s in form.getlist("scopes") if isinstance(s, str)]
    try:
        data = ApiKeyIn(name=text(form, "name"), scopes=chosen)
    except ValidationError:
        return _team_page(request, db, principal, merchant, errors=["team.key_invalid"],
                          status=422)  # fmt: skip
    _key, secret = merchants.create_api_key(db, merchant, data.name, list(data.scopes))
    # Shown once, on this response only (it is stored as a hash), and never cached.
    response = _team_page(request, db, principal, merchant, new_key=secret)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/dashboard/m/{slug}/team/keys/{key_id}/revoke")
def revoke_key(
    request: Request, slug: str, key_id: int, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    merchant = merchant_for(db, principal, slug, OWNERS)
    merchants.revoke_api_key(db, merchant, key_id)
    return redirect(request, f"/dashboard/m/{slug}/team")

"""A merchant's team and API keys, for its owners: who may do what, and which systems."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from relaycode.deps import DbDep, ReadDbDep
from relaycode.errors import AppError
from relaycode.identity.auth import Principal
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants import service as merchants
from relaycode.merchants.schemas import API_KEY_SCOPES, ROLES, ApiKeyIn, MemberIn
from relaycode.models import Merchant
from relaycode.web.dashboard import FlashDbDep, MerchantOwner, OwnerPage, TeamChange
from relaycode.web.flash import clear_flash, set_flash, take_flash
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()


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
    members = merchant_repo.members_page(
        db, merchant.id, cursor=cursor_of(request, "members"), limit=PAGE_SIZE
    )
    keys = merchant_repo.api_keys_page(
        db, merchant.id, cursor=cursor_of(request, "keys"), limit=PAGE_SIZE
    )
    context: dict[str, Any] = {
        "user": principal.user,
        "merchant": merchant,
        "members": members.items,
        "members_pager": pager(request, members, "members", anchor="members-h"),
        "keys": keys.items,
        "keys_pager": pager(request, keys, "keys", anchor="keys-h"),
        "scopes": API_KEY_SCOPES,
        "roles": ROLES,
        "errors": errors or [],
        "new_key": new_key,
    }
    return page(request, "team.html", context, status=status)


def team_path(slug: str) -> str:
    return f"/dashboard/m/{slug}/team"


@router.get("/dashboard/m/{slug}/team")
def team(
    request: Request,
    merchant: OwnerPage,
    db: ReadDbDep,
    flash_db: FlashDbDep,
    principal: SignedInDep,
) -> Response:
    # A key just created is shown here once, from the flash its POST left; the response
    # deletes the flash, so a reload shows (and creates) nothing.
    flash = take_flash(request, flash_db, "new_key")
    secret = flash.get("secret") if flash else None
    response = _team_page(
        request, db, principal, merchant, new_key=secret if isinstance(secret, str) else None
    )
    return clear_flash(request, response)


@router.post("/dashboard/m/{slug}/team/members")
def set_member(
    request: Request, form: FormDep, merchant: TeamChange, db: DbDep, principal: SignedInDep
) -> Response:
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
    return redirect(request, team_path(merchant.slug))


@router.post("/dashboard/m/{slug}/team/keys")
def create_key(
    request: Request, form: FormDep, merchant: MerchantOwner, db: DbDep, principal: SignedInDep
) -> Response:
    chosen = [s for s in form.getlist("scopes") if isinstance(s, str)]
    try:
        data = ApiKeyIn(name=text(form, "name"), scopes=chosen)
    except ValidationError:
        return _team_page(request, db, principal, merchant, errors=["team.key_invalid"],
                          status=422)  # fmt: skip
    _key, secret = merchants.create_api_key(db, merchant, data.name, list(data.scopes))
    # Post-redirect-get: the secret (stored only as a hash) rides a one-time, encrypted
    # flash to the team page, never the URL; reloading that page creates no second key.
    path = team_path(merchant.slug)
    response = redirect(request, f"{path}#new-key")
    set_flash(request, response, path, "new_key", {"secret": secret})
    return response


@router.post("/dashboard/m/{slug}/team/keys/{key_id}/revoke")
def revoke_key(
    request: Request, key_id: int, form: FormDep, merchant: MerchantOwner, db: DbDep
) -> Response:
    merchants.revoke_api_key(db, merchant, key_id)
    return redirect(request, team_path(merchant.slug))

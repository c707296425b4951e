"""The rules every credential flow shares: finding things, who may see them, what state
a credential is in, the codes they carry and the issuer's audit log.

The flows are in their own modules (templates, issuance, claims, endorse, redeem,
revocation); they all take a Session and never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.codes.tokens import new_code_id
from relaycode.credentials import repository as repo
from relaycode.errors import AppError, Forbidden, NotFound
from relaycode.identity.auth import Principal
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants.service import EDITORS, READERS, authorize
from relaycode.models import Code, Credential, CredentialAudit, CredentialTemplate, Merchant, User

SCOPE = "credentials"  # no merchant API key carries it: the credential API is for people
OWNERS: tuple[str, ...] = ("owner",)
__all__ = ["EDITORS", "OWNERS", "READERS", "Refusal"]


@dataclass(frozen=True)
class Refusal:
    """Why a credential cannot be used now: a stable code, its HTTP status, a message."""

    code: str
    status: int
    message: str

    def error(self) -> AppError:
        return AppError(self.message, code=self.code, status=self.status)


def new_credential_id() -> str:
    """16 random bytes, hex: the credential's id and its future CWT ``cti``."""
    return secrets.token_hex(16)


def new_code(db: Session, keyring: Keyring, kind: str, expires_at: datetime | None) -> Code:
    """A format-1 reference code of ``kind`` (credential_item, credential): its text is
    the random id and a tag, nothing of the holder (no holder on the row either)."""
    kid, _secret = keyring.active_hmac()
    code = Code(
        id=new_code_id().hex(),
        kind=kind,
        depth=0,
        status="active",
        key_id=kid,
        format_version=1,
        expires_at=expires_at,
    )
    db.add(code)
    return code


def effective_status(c: Credential, now: datetime) -> str:
    if c.status == "active" and c.valid_until is not None and c.valid_until <= now:
        return "expired"
    return c.status


def refusal(c: Credential, now: datetime) -> Refusal | None:
    """Why ``c`` may not be redeemed or accepted at ``now``, if it may not."""
    status = effective_status(c, now)
    if status in ("revoked", "endorsed"):
        why = "endorsed to someone else" if status == "endorsed" else "revoked by its issuer"
        return Refusal("revoked", 410, f"this credential was {why}")
    if status == "exhausted":
        return Refusal("already_redeemed", 409, "this credential was already redeemed")
    if status == "expired":
        return Refusal("expired", 410, "this credential has expired")
    if c.valid_from is not None and c.valid_from > now:
        return Refusal("not_yet_valid", 409, "this credential is not valid yet")
    return None


def merchant_of(db: Session, merchant_id: int) -> Merchant:
    merchant = merchant_repo.merchant_by_id(db, merchant_id)
    if merchant is None:
        raise NotFound("no such merchant", code="merchant_not_found")
    return merchant


def get_template(db: Session, template_id: int) -> CredentialTemplate:
    template = repo.template_by_id(db, template_id)
    if template is None:
        raise NotFound("no such credential template", code="template_not_found")
    return template


def team_template(
    db: Session, who: Principal, template_id: int, roles: tuple[str, ...]
) -> CredentialTemplate:
    """The template once ``who`` has one of ``roles`` in its merchant; a template of a
    merchant they are no member of is a 404, as if it did not exist."""
    template = get_template(db, template_id)
    if not is_team(db, who, template.merchant_id, READERS):
        raise NotFound("no such credential template", code="template_not_found")
    authorize(db, who, merchant_of(db, template.merchant_id), roles=roles, scope=SCOPE)
    return template


def is_team(db: Session, who: Principal, merchant_id: int, roles: tuple[str, ...]) -> bool:
    if who.user is None:
        return False
    if who.user.is_operator:
        return True
    return repo.role_in(db, merchant_id, who.user.id) in roles


def get_credential(db: Session, credential_id: str) -> Credential:
    found = repo.credential_by_id(db, credential_id)
    if found is None:
        raise NotFound("no such credential", code="credential_not_found")
    return found


def visible_credential(db: Session, who: Principal, credential_id: str) -> tuple[Credential, bool]:
    """The credential for its holder or the issuer's team (and whether ``who`` is of the
    team); anyone else gets ``credential_not_found``, not a hint that it exists."""
    found = get_credential(db, credential_id)
    team = is_team(db, who, found.merchant_id, READERS)
    if team or (who.user is not None and who.user.id == found.holder_user_id):
        return found, team
    raise NotFound("no such credential", code="credential_not_found")


def check_holder(credential: Credential, user: User) -> None:
    if credential.holder_user_id != user.id:
        # Generic on purpose: nothing here tells who the holder is.
        raise Forbidden("this credential is bound to someone else", code="not_holder")


def audit(
    db: Session,
    merchant_id: int,
    action: str,
    *,
    credential_id: str | None = None,
    item_id: int | None = None,
    actor: User | None = None,
    device_id: int | None = None,
    station: str | None = None,
    reason: str | None = None,
    **detail: Any,
) -> None:
    """One line of the issuer's log (credential_audit), in the caller's transaction."""
    db.add(
        CredentialAudit(
            merchant_id=merchant_id,
            action=action,
            credential_id=credential_id,
            item_id=item_id,
            actor_user_id=actor.id if actor is not None else None,
            device_id=device_id,
            station=station,
            reason=reason,
            detail=detail,
        )
    )

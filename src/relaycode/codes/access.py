"""Who may read or change an offer's codes: one rule for the API and the pages.

Issuing and withdrawing codes (one, or many at once) are codes operations: members with
an editing role, or an API key with the ``codes:issue`` scope (not ``offers:write``,
which is for the offer's own fields). Reading them needs ``offers:read``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from relaycode.codes import repository as repo
from relaycode.deps import DbDep, ReadDbDep
from relaycode.errors import NotFound
from relaycode.identity.auth import Principal, PrincipalDep
from relaycode.merchants.deps import OfferAccess, load_offer, offer_access
from relaycode.merchants.service import EDITORS, READERS
from relaycode.models import Code

CODES_SCOPE = "codes:issue"  # issue, withdraw one, withdraw many
READ_SCOPE = "offers:read"

CodesReader = Annotated[OfferAccess, Depends(offer_access(READERS, READ_SCOPE, readonly=True))]
CodesIssuer = Annotated[OfferAccess, Depends(offer_access(EDITORS, CODES_SCOPE))]


def code_access(roles: tuple[str, ...], scope: str) -> Callable[..., Code]:
    """A dependency: the code ``{code_id}`` of an offer the caller may act for."""

    def code_dep(code_id: str, db: DbDep, principal: PrincipalDep) -> Code:
        return load_code(db, principal, code_id, roles=roles, scope=scope)

    return code_dep


def code_reader(roles: tuple[str, ...], scope: str) -> Callable[..., Code]:
    """``code_access`` for routes that write nothing (the read-only session)."""

    def code_dep(code_id: str, db: ReadDbDep, principal: PrincipalDep) -> Code:
        return load_code(db, principal, code_id, roles=roles, scope=scope)

    return code_dep


def load_code(
    db: Session, principal: Principal, code_id: str, *, roles: tuple[str, ...], scope: str
) -> Code:
    code = repo.code_by_id(db, code_id)
    if code is None or code.offer_id is None:
        raise NotFound("no such code", code="code_not_found")
    load_offer(db, principal, code.offer_id, roles=roles, scope=scope)
    return code


CodeReader = Annotated[Code, Depends(code_reader(READERS, READ_SCOPE))]
CodeIssuer = Annotated[Code, Depends(code_access(EDITORS, CODES_SCOPE))]

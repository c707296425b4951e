"""The page a ``/V/`` (signed credential) or ``/P/`` (rotating presentation) link opens.

These links are for phone cameras (docs/code-format.md §5): a camera app opens them in
the browser. The page verifies the text online — signature, key, window, then the
credential's state here (revoked, endorsed, used up, outside its validity) — and says
valid or not with the reason, the template and the issuer. It never names the holder
(anyone can open a link) and redeems nothing: a member of the issuing merchant gets a
link to the station, where redeeming is one tap.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaycode.codes.credential_text import MAX_TEXT
from relaycode.credentials import repository as cred_repo
from relaycode.credentials.service import READERS
from relaycode.credentials.verify import verify
from relaycode.db.base import utcnow
from relaycode.deps import ReadDbDep, StateDep
from relaycode.identity.auth import PrincipalDep
from relaycode.merchants import repository as merchant_repo
from relaycode.models import CredentialTemplate
from relaycode.web.render import page

router = APIRouter()


def _page(
    request: Request, kind: str, body: str, db: ReadDbDep, state: StateDep, who: PrincipalDep
) -> Response:
    s = state.settings
    if len(body) > MAX_TEXT:
        refused = {"verdict": "invalid", "reason": "malformed", "template": None, "team": False}
        return page(request, "credential_link.html", refused, status=422)
    text = f"{s.public_scheme}://{s.public_host}/{kind}/{body.upper()}"
    v = verify(db, s, state.keyring, text, now=utcnow())
    c = v.credential
    template = db.get(CredentialTemplate, c.template_id) if c is not None else None
    merchant = merchant_repo.merchant_by_id(db, c.merchant_id) if c is not None else None
    user = who.user
    team = bool(
        user is not None
        and merchant is not None
        and (user.is_operator or cred_repo.role_in(db, merchant.id, user.id) in READERS)
    )
    context: dict[str, object] = {
        "verdict": v.verdict, "reason": v.reason, "template": template, "merchant": merchant,
        "credential": c, "status": v.status, "team": team,
        "form": "rotating" if kind == "P" else "signed",
    }  # fmt: skip
    return page(request, "credential_link.html", context)


@router.get("/V/{body}")
def signed_link(
    request: Request, body: str, db: ReadDbDep, state: StateDep, who: PrincipalDep
) -> Response:
    return _page(request, "V", body, db, state, who)


@router.get("/P/{body}")
def rotating_link(
    request: Request, body: str, db: ReadDbDep, state: StateDep, who: PrincipalDep
) -> Response:
    return _page(request, "P", body, db, state, who)


@router.get("/v/{body}")
def signed_link_lower(
    request: Request, body: str, db: ReadDbDep, state: StateDep, who: PrincipalDep
) -> Response:
    """A hand-typed lower-case link works too (the body is case-insensitive base32)."""
    return _page(request, "V", body, db, state, who)


@router.get("/p/{body}")
def rotating_link_lower(
    request: Request, body: str, db: ReadDbDep, state: StateDep, who: PrincipalDep
) -> Response:
    return _page(request, "P", body, db, state, who)

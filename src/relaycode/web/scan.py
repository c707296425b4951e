"""The scanner page: camera auto-capture and photo upload (static/scan.js), pasted links."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaycode.codes import service as codes
from relaycode.deps import DbDep, StateDep
from relaycode.identity.auth import PrincipalDep
from relaycode.web.public import scan_target
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, text

router = APIRouter()


@router.get("/scan")
def scan_page(request: Request, principal: PrincipalDep) -> Response:
    return page(request, "scan.html", {"user": principal.user, "pasted": ""})


@router.post("/scan")
def scan_pasted(
    request: Request, form: FormDep, db: DbDep, state: StateDep, principal: PrincipalDep
) -> Response:
    """A pasted or typed link: works with JavaScript off, too."""
    pasted = text(form, "text")[:4096]
    if not pasted:
        return page(request, "scan.html", {"user": principal.user, "pasted": ""}, status=422)
    result, _code = codes.resolve_text(db, state.settings, state.keyring, pasted)
    ctx = codes.ScanContext(
        source="paste",
        user_id=principal.user.id if principal.user else None,
        device_id=principal.device.id if principal.device else None,
        user_agent=request.headers.get("user-agent"),
    )
    codes.record_scan(state.scans, result, ctx)
    return redirect(request, scan_target(result))

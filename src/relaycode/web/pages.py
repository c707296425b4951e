"""The front door (home, the scanner) and the one router of all pages, for relaycode.app.

The scanner itself is static/scan.js: the camera runs continuously and a code is
captured as soon as it is sharp (claim 7), by BarcodeDetector or by uploading frames.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaycode.codes import service as codes
from relaycode.deps import DbDep, StateDep
from relaycode.identity.auth import PrincipalDep
from relaycode.web import (
    analytics_pages,
    auth_pages,
    checkout,
    commission_pages,
    credential_admin,
    credential_conflicts,
    credential_link,
    credential_pages,
    dashboard,
    game_pages,
    inbox_page,
    merchant_orders,
    my_service_requests,
    offer_form,
    offline,
    order_pages,
    paycode_pages,
    phone_pages,
    public,
    receipt_pages,
    service_pages,
    shares,
    shop,
    station,
    team,
    wallet,
    webhook_pages,
    withdrawal_pages,
)
from relaycode.web.public import scan_context, scan_target
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, text

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, principal: PrincipalDep) -> Response:
    return page(request, "home.html", {"user": principal.user})


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
    register = state.resolver.register  # a phone-made code pasted: registered first
    result, _code = codes.resolve_text(db, state.settings, state.keyring, pasted, register)
    codes.record_scan(state.scans, result, scan_context(request, principal, "paste"))
    return redirect(request, scan_target(result))


for module in (
    auth_pages,
    dashboard,
    offer_form,
    public,
    team,
    commission_pages,
    inbox_page,
    webhook_pages,
    shares,
    shop,
    wallet,
    withdrawal_pages,
    checkout,
    order_pages,
    merchant_orders,
    analytics_pages,
    game_pages,
    offline,
    phone_pages,
    station,
    credential_pages,
    credential_admin,
    credential_conflicts,
    receipt_pages,
    credential_link,
    paycode_pages,
    service_pages,
    my_service_requests,
):
    router.include_router(module.router)

"""``POST /api/v1/scan``, the platform's hot path: one core, two doors.

``scan_response`` is the endpoint. The documented route (codes/endpoints.py) reaches it
through FastAPI's router and dependency injection; ``ScanLane``, an ASGI middleware,
reaches it before routing, calling the very same dependency (``scan_principal``) itself
and mapping errors with the app's own exception handlers (``errors_http.handle_exception``).
Matching the path against every route and solving dependencies costs more than
verifying a tag; bench/resolve.py measures both doors (``RELAYCODE_SCAN_FAST_PATH=0``
switches the lane off) and tests/codes/test_scan_lane.py shows they answer byte for byte
the same.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from relaycode.codes.schemas import ScanIn
from relaycode.codes.service import scan_row
from relaycode.errors import Forbidden, TooLarge
from relaycode.errors_http import handle_exception, invalid_input
from relaycode.identity.auth import Principal, get_principal_standalone
from relaycode.state import AppState

SCAN_PATH = "/api/v1/scan"
MAX_BODY = 16 * 1024
SCAN_SCOPE = "scan"

# Anonymous callers cost nothing; credentials are checked in a short transaction of
# their own (the scan itself is outside any request transaction).
scan_principal = get_principal_standalone
ScanPrincipalDep = Annotated[Principal, Depends(scan_principal)]


async def scan_response(request: Request, state: AppState, principal: Principal) -> Response:
    # A merchant API key is a credential for what its scopes say; scanning is one of
    # them. (Anonymous scanners need no key at all.)
    if principal.api_key is not None and SCAN_SCOPE not in principal.scopes:
        raise Forbidden("this API key lacks the 'scan' scope", code="forbidden")
    body = await _read_body(request)
    try:
        data = ScanIn.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_input(exc.errors(include_url=False)) from None
    scanned = await state.resolver.scan(data.text)
    headers = request.headers
    row = scan_row(
        scanned.facts,
        headers.get("x-relaycode-source", "api"),
        principal.user.id if principal.user else None,
        principal.device.id if principal.device else None,
        headers.get("user-agent"),
    )
    state.scans.record_row(row)
    return JSONBytes(scanned.body)


class JSONBytes(Response):
    """A JSON body serialised already: the headers ``Response`` would set, made directly."""

    media_type = "application/json"

    def __init__(self, body: bytes) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]


async def _read_body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it passes MAX_BODY (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large()
    receive = request.receive
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):  # the usual case: one message
        if len(body) > MAX_BODY:
            raise _too_large()
        return body
    chunks = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> TooLarge:
    return TooLarge(f"request body is larger than {MAX_BODY} bytes", code="too_large")


class ScanLane:
    """ASGI middleware: serves POST /api/v1/scan itself, passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != SCAN_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            principal = await scan_principal(request)
            response = await scan_response(request, request.app.state.rc, principal)
        except Exception as exc:
            response = await handle_exception(request, exc)
        await response(scope, receive, send)

"""``POST /api/v1/scan``, the platform's hot path, answered before FastAPI's routing.

Every scan of every printed code lands here, so it skips machinery it does not need:
the exception and routing layers (matching a path costs more than verifying a tag), the
dependency solver, response-model validation. What it keeps is everything that matters:
the same validation (pydantic-core on the raw body), the same error documents
(``errors_http``), the same security headers (``ScanLane`` sits inside that middleware),
credentials looked at only when present, one read-only lookup, the scan event queued for
a batched write, and the response serialised once.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from relaycode.codes import service
from relaycode.codes.schemas import ScanIn, ScanOut
from relaycode.db.raw import RawReader
from relaycode.errors import AppError
from relaycode.errors_http import invalid_input, json_error
from relaycode.identity.auth import get_principal_standalone
from relaycode.state import AppState

log = logging.getLogger("relaycode")
SCAN_PATH = "/api/v1/scan"
MAX_BODY = 16 * 1024


async def handle_scan(request: Request) -> Response:
    state: AppState = request.app.state.rc
    body = await request.body()
    if len(body) > MAX_BODY:
        raise AppError("request body too large", code="too_large", status=413)
    try:
        data = ScanIn.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_input(exc.errors(include_url=False)) from None
    principal = await get_principal_standalone(request)
    if state.async_reader is not None:
        # PostgreSQL: an asyncio read, so the loop serves others while it waits.
        result, _ = await service.resolve_text_async(
            state.async_reader, state.settings, state.keyring, data.text
        )
    else:
        # SQLite: a WAL read by primary key takes microseconds and never waits for the
        # writer, so it is cheaper inline than a hop to a worker thread.
        result = _resolve_read_only(state, data.text)
    ctx = service.ScanContext(
        source=request.headers.get("x-relaycode-source", "api"),
        user_id=principal.user.id if principal.user else None,
        device_id=principal.device.id if principal.device else None,
        user_agent=request.headers.get("user-agent"),
    )
    service.record_scan(state.scans, result, ctx)
    return Response(result.model_dump_json(), media_type="application/json")


def _resolve_read_only(state: AppState, text: str) -> ScanOut:
    def work(reader: RawReader) -> ScanOut:
        return service.resolve_text(reader, state.settings, state.keyring, text)[0]

    return state.db.read_raw(work)


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
            response = await handle_scan(request)
        except AppError as err:
            response = json_error(err)
        except OperationalError:
            log.exception("database error")
            response = json_error(
                AppError("database busy, try again", code="unavailable", status=503)
            )
        except Exception:
            log.exception("unhandled error in scan")
            response = json_error(AppError("internal error", code="internal", status=500))
        await response(scope, receive, send)

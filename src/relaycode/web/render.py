from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from relaycode.errors import AppError


def render_error(request: Request, err: AppError) -> Response:
    return HTMLResponse(f"<h1>{err.status}</h1><p>{err.message}</p>", status_code=err.status)

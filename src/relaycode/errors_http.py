"""One place that turns errors into responses: JSON for the API, an HTML page otherwise."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from relaycode.errors import AppError

log = logging.getLogger("relaycode")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path == "/healthz":
        return True
    return "application/json" in request.headers.get("accept", "")


def invalid_input(errors: Sequence[Any]) -> AppError:
    """pydantic's validation errors as our 422, listing at most 20 problems."""
    problems = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in errors[:20]
    ]
    return AppError(
        "the request is not valid",
        code="invalid_input",
        status=422,
        details={"problems": problems},
    )


def json_error(err: AppError) -> JSONResponse:
    headers = (
        {"Retry-After": str(err.details["retry_after"])}
        if err.status in (429, 503) and "retry_after" in err.details
        else None
    )
    return JSONResponse(err.to_dict(), status_code=err.status, headers=headers)


def error_response(request: Request, err: AppError) -> Response:
    """The one rendering of an error: JSON for the API, a page for browsers."""
    if _wants_json(request):
        return json_error(err)
    from relaycode.web.render import render_error

    response = render_error(request, err)
    if err.status == 429 and "retry_after" in err.details:
        response.headers["Retry-After"] = str(err.details["retry_after"])
    return response


_respond = error_response


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path answers (a 405's ``Allow``).

    Starlette names only the first route that matched the path, but a path often has
    several (``GET /login`` and ``POST /login`` are two routes). Each method is tried
    against the routing table as it stands, whatever shape the router gives it.
    """
    allowed: list[str] = []
    # A mount (static files) moved root_path on the way in: match from the app's root.
    root = request.scope.get("app_root_path", "")
    for method in _METHODS:
        probe = {**request.scope, "method": method, "root_path": root}
        for route in request.app.router.routes:
            match, _ = route.matches(probe)
            if match is Match.FULL and (not isinstance(route, Mount) or method in _READ):
                allowed.append(method)
                break
    return allowed


_READ = ("GET", "HEAD")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        return _respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _respond(request, invalid_input(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        response = _respond(request, AppError(str(exc.detail), code=code, status=exc.status_code))
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        # A concurrent request won a unique constraint: the caller may retry.
        return _respond(request, AppError("conflicting change", code="conflict", status=409))

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # A value the database refuses (a NUL in text on PostgreSQL, a number out of
        # range) that schema validation let through: the input's fault, not ours.
        log.warning("database refused a value: %s", exc.orig)
        return _respond(
            request, AppError("a value could not be stored", code="invalid_input", status=422)
        )

    @app.exception_handler(OperationalError)
    async def db_unavailable(request: Request, exc: OperationalError) -> Response:
        log.exception("database error")
        return _respond(
            request, AppError("database busy, try again", code="unavailable", status=503)
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return _respond(request, AppError("internal error", code="internal", status=500))


async def handle_exception(request: Request, exc: Exception) -> Response:
    """The response the app's installed handlers give for ``exc``, found by class the way
    Starlette's exception middleware finds them: for ASGI fast paths (``ScanLane``) that
    answer before routing and must answer exactly as the routed endpoint would."""
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            if is_async_callable(handler):
                response: Response = await handler(request, exc)
            else:
                response = await run_in_threadpool(handler, request, exc)
            return response
    raise exc

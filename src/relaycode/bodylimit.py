"""Request body limits per route, enforced while the body streams in (pure ASGI).

``BodyLimit`` wraps ``receive()``: it counts the bytes of every ``http.request`` message
and raises as soon as the route's limit is crossed, so no handler ever holds more than
the limit in memory. A declared ``Content-Length`` above the limit is refused before the
app runs at all (nothing is read, no ``100 Continue`` is sent). It sits outside
``ScanLane`` so the scan fast path gets the same protection as routed endpoints.

Whatever the inner app makes of the error (FastAPI's body parser turns any exception
into a 400), the answer the client gets is our 413 ``too_large``: once the limit is
crossed, the inner response is dropped and this middleware answers instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaycode.config import Settings
from relaycode.errors import TooLarge

SCAN_BYTES = 16 * 1024  # a scanned text is at most 8192 characters
BULK_BYTES = 1024 * 1024  # credentials: 1,000 rows of a bulk issue
# A multipart upload carries boundaries and headers around the file itself.
MULTIPART_SLACK = 64 * 1024


@dataclass(frozen=True)
class RouteLimit:
    method: str
    path: re.Pattern[str]
    limit: int


def route_limits(settings: Settings) -> Callable[[Scope], int]:
    """The limit for a request: uploads get the upload limit, everything else is small.

    Routes that accept pictures are listed here by path (they are few); a test uploads
    through each, so a renamed route shows up as a failing upload, not a silent limit.
    """
    upload = settings.max_upload_bytes + MULTIPART_SLACK
    stripe_events = settings.stripe_webhook_max_bytes
    table = (
        RouteLimit("POST", re.compile(r"/api/v1/scan"), SCAN_BYTES),
        RouteLimit("POST", re.compile(r"/api/v1/decode"), upload),
        RouteLimit("PUT", re.compile(r"/api/v1/offers/[^/]+/image"), upload),
        RouteLimit("POST", re.compile(r"/dashboard/m/[^/]+/offers/new"), upload),
        RouteLimit("POST", re.compile(r"/dashboard/offers/[^/]+/edit"), upload),
        # A bulk issue of up to 1,000 items as CSV or JSON rows.
        RouteLimit(
            "POST", re.compile(r"/api/v1/credential-templates/[0-9]+/items/bulk"), BULK_BYTES
        ),
        # A station's offline queue: up to 500 redemptions (credentials/offline_schemas.py).
        RouteLimit("POST", re.compile(r"/api/v1/redemptions/offline"), BULK_BYTES),
        # Stripe's events outgrow the JSON default (a charge with its refunds, metadata).
        RouteLimit("POST", re.compile(r"/api/v1/payments/stripe/webhook"), stripe_events),
    )
    default = settings.max_body_bytes

    def limit_for(scope: Scope) -> int:
        method, path = scope["method"], scope["path"]
        for rule in table:
            if rule.method == method and rule.path.fullmatch(path):
                return rule.limit
        return default

    return limit_for


class BodyTooLarge(TooLarge, MultiPartException):
    """Raised from ``receive()``. It is also a ``MultiPartException`` so that Starlette's
    form parser, interrupted mid-upload, closes the temporary files it had opened."""

    code = "too_large"


def _declared_length(scope: Scope) -> int | None:
    # ASGI header names are lower-case bytes; no Headers object on every request.
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return

        received = 0
        crossed = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, crossed
            if crossed:
                raise BodyTooLarge(_message(limit))  # never read past the limit
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    crossed = True
                    raise BodyTooLarge(_message(limit))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if crossed and not started:
                return  # the inner app's answer to our error; ours follows
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not crossed or started:
                raise
        if crossed and not started:
            await _refuse(scope, receive, send, limit)


def _message(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    # Imported here: errors_http renders pages, which imports most of the app.
    from relaycode.errors_http import error_response

    response = error_response(Request(scope, receive), BodyTooLarge(_message(limit)))
    # The unread rest of the body must not be taken as the next request.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)

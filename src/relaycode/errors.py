"""Business errors with a stable machine-readable ``code`` and an HTTP status.

Every error the API returns has the shape ``{"error": {"code": ..., "message": ...}}``;
tests assert the ``code``, never the message.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class NotFound(AppError):
    status = 404
    code = "not_found"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Conflict(AppError):
    status = 409
    code = "conflict"


class InvalidInput(AppError):
    status = 422
    code = "invalid_input"


class TooLarge(AppError):
    status = 413
    code = "too_large"


class RateLimited(AppError):
    status = 429
    code = "rate_limited"

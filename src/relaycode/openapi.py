"""The OpenAPI document, completed: credentials, error answers and raw request bodies.

FastAPI derives paths, parameters and models from the routes; what it cannot know is
declared in ``OPERATIONS`` below, one line per operation: which credentials it takes
(so /docs has an Authorize button) and which errors it can answer beyond those that
follow from its shape. Every error answer is ``{"error": {"code", "message"}}``.
``tests/test_openapi.py`` keeps this table and the routes in step, and calls every
operation to check that the credentials declared are the ones it takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field

Auth = Literal["none", "optional", "session", "session_or_key"]


class ErrorBody(BaseModel):
    code: str = Field(description="Stable and machine-readable: test this, not the message")
    message: str = Field(description="For people; may change")
    details: dict[str, Any] | None = Field(default=None, description="Extra facts, by code")


class Error(BaseModel):
    """Every error answer of the API."""

    error: ErrorBody


@dataclass(frozen=True)
class Op:
    auth: Auth
    errors: tuple[int, ...] = ()


OPERATIONS: dict[str, Op] = {
    "GET /healthz": Op("none"),
    "POST /api/v1/scan": Op("optional", (403,)),  # 403: an API key without the scan scope
    "POST /api/v1/decode": Op("none", (503,)),  # decode_busy, with Retry-After
    "GET /api/v1/trust-list": Op("none"),
    "POST /api/v1/offers/{offer_id}/codes": Op("session_or_key", (409, 503)),
    "GET /api/v1/offers/{offer_id}/codes": Op("session_or_key", (400,)),
    "GET /api/v1/offers/{offer_id}/codes.csv": Op("session_or_key"),
    "POST /api/v1/offers/{offer_id}/codes/revoke": Op("session_or_key"),
    "POST /api/v1/codes/{code_id}/revoke": Op("session_or_key"),
    "GET /api/v1/codes/{code_id}/image.{fmt}": Op("session_or_key"),
    "POST /api/v1/auth/register": Op("none", (409, 429)),
    "POST /api/v1/auth/login": Op("none", (401, 429)),
    "POST /api/v1/auth/device": Op("none", (429,)),
    "POST /api/v1/auth/logout": Op("session"),
    "GET /api/v1/me": Op("session"),
    "GET /api/v1/me/devices": Op("session", (400,)),
    "DELETE /api/v1/me/devices/{device_uid}": Op("session"),
    "PUT /api/v1/me/device/public-key": Op("session", (400,)),
    # identity/phone_endpoints.py (docs/phone.md): 422 bad_phone; 429 limits / too many
    # wrong codes; 400 bad_code, 410 code_expired, 409 phone_taken
    "GET /api/v1/me/phone": Op("session"),
    "POST /api/v1/me/phone": Op("session", (429,)),
    "POST /api/v1/me/phone/verify": Op("session", (400, 409, 410, 429)),
    "DELETE /api/v1/me/phone": Op("session"),
    "GET /api/v1/merchants": Op("session", (400,)),
    "POST /api/v1/merchants": Op("session", (409,)),
    "PUT /api/v1/merchants/{slug}/members": Op("session", (409,)),
    "GET /api/v1/merchants/{slug}/members": Op("session", (400,)),
    "DELETE /api/v1/merchants/{slug}/members/{username}": Op("session", (409,)),
    "POST /api/v1/merchants/{slug}/api-keys": Op("session"),
    "GET /api/v1/merchants/{slug}/api-keys": Op("session", (400,)),
    "DELETE /api/v1/merchants/{slug}/api-keys/{key_id}": Op("session"),
    "POST /api/v1/merchants/{slug}/offers": Op("session_or_key"),
    "GET /api/v1/merchants/{slug}/offers": Op("session_or_key", (400,)),
    "GET /api/v1/offers/{offer_id}": Op("none", (410,)),
    "PATCH /api/v1/offers/{offer_id}": Op("session_or_key", (409,)),
    "POST /api/v1/offers/{offer_id}/pause": Op("session_or_key", (409,)),
    "POST /api/v1/offers/{offer_id}/activate": Op("session_or_key", (409,)),
    "POST /api/v1/offers/{offer_id}/archive": Op("session_or_key", (409,)),
    "PUT /api/v1/offers/{offer_id}/image": Op("session_or_key", (409,)),
    "POST /api/v1/shares": Op("session", (404, 409, 410)),
    "GET /api/v1/me/shares": Op("session", (400,)),
    "POST /api/v1/me/device/share-key": Op("session", (400, 503)),
    "PUT /api/v1/shares/{code_id}/review": Op("session", (403,)),
    "DELETE /api/v1/shares/{code_id}/review": Op("session", (403,)),
    # No credentials: the Stripe-Signature header (400 bad_signature); 503 Stripe is off.
    "POST /api/v1/payments/stripe/webhook": Op("none", (400, 503)),
    "GET /api/v1/me/wallet": Op("session"),
    "GET /api/v1/me/wallet/entries": Op("session", (400,)),
    # 403 not_operator, 404 user_not_found, 422 invalid_amount / unknown_currency /
    # idempotency_key_reused
    "POST /api/v1/admin/wallet-grants": Op("session", (403, 404)),
    "GET /api/v1/me/commissions": Op("session", (400,)),
    "GET /api/v1/me/commission-balances": Op("session"),
    "POST /api/v1/me/withdrawals": Op("session", (409,)),
    "GET /api/v1/me/withdrawals": Op("session", (400,)),
    "GET /api/v1/admin/withdrawals": Op("session", (400, 403)),
    "GET /api/v1/admin/withdrawals.csv": Op("session", (403,)),
    "POST /api/v1/admin/withdrawals/{withdrawal_id}/approve": Op("session", (403, 404, 409)),
    "POST /api/v1/admin/withdrawals/{withdrawal_id}/reject": Op("session", (403, 404, 409)),
    "GET /api/v1/merchants/{slug}/commission-rules": Op("session"),
    "PUT /api/v1/merchants/{slug}/commission-rules": Op("session", (409,)),
    "GET /api/v1/offers/{offer_id}/commission-rules": Op("session"),
    "PUT /api/v1/offers/{offer_id}/commission-rules": Op("session", (409,)),
    "DELETE /api/v1/offers/{offer_id}/commission-rules": Op("session", (409,)),
    # notify/: the inbox, its live stream, merchants' webhooks (owners; 403 otherwise)
    "GET /api/v1/me/inbox": Op("session", (400,)),
    "POST /api/v1/me/inbox/read": Op("session"),
    "POST /api/v1/me/inbox/test": Op("session"),
    "GET /api/v1/me/events": Op("session", (429,)),  # too_many_streams
    "POST /api/v1/merchants/{merchant_id}/webhooks": Op("session", (403, 409)),
    "GET /api/v1/merchants/{merchant_id}/webhooks": Op("session", (400, 403)),
    "DELETE /api/v1/merchants/{merchant_id}/webhooks/{webhook_id}": Op("session", (403,)),
    "POST /api/v1/merchants/{merchant_id}/webhooks/{webhook_id}/rotate-secret": Op(
        "session", (403,)
    ),
    "POST /api/v1/merchants/{merchant_id}/webhooks/{webhook_id}/test": Op("session", (403,)),
    "GET /api/v1/merchants/{merchant_id}/webhooks/{webhook_id}/deliveries": Op(
        "session", (400, 403)
    ),
    "POST /api/v1/merchants/{merchant_id}/webhooks/{webhook_id}"
    "/deliveries/{delivery_id}/replay": Op("session", (403, 409)),
    # orders/ (docs/orders.md): 409 insufficient_funds / offer_not_on_sale / not_*able,
    # 410 code_revoked / code_expired, 503 provider_unavailable
    "POST /api/v1/orders": Op("session", (404, 409, 410, 503)),
    "GET /api/v1/orders/{order_id}": Op("session_or_key"),
    "GET /api/v1/me/orders": Op("session", (400,)),
    "GET /api/v1/merchants/{merchant_id}/orders": Op("session_or_key", (400, 403)),
    "GET /api/v1/merchants/{merchant_id}/orders.csv": Op("session_or_key", (403,)),
    "POST /api/v1/orders/{order_id}/fulfil": Op("session_or_key", (403, 409)),
    "POST /api/v1/orders/{order_id}/cancel": Op("session_or_key", (403, 409, 503)),
    "POST /api/v1/orders/{order_id}/refund": Op("session_or_key", (403, 409, 503)),
    # analytics/: merchants' owners and staff (403 otherwise); 422 invalid_range,
    # range_too_long
    "GET /api/v1/merchants/{merchant_id}/analytics": Op("session", (403,)),
    "GET /api/v1/merchants/{merchant_id}/analytics.csv": Op("session", (403,)),
    "GET /api/v1/offers/{offer_id}/analytics": Op("session", (403,)),
    "GET /api/v1/offers/{offer_id}/analytics.csv": Op("session", (403,)),
    "GET /api/v1/offers/{offer_id}/referral-tree": Op("session", (403,)),
    "GET /api/v1/offers/{offer_id}/referral-tree.csv": Op("session", (403,)),
    "GET /api/v1/me/earnings": Op("session"),
    "GET /api/v1/me/earnings.csv": Op("session"),
    # games/: the combining game (docs/games.md); staff and scoped keys, players join
    "GET /api/v1/offers/{offer_id}/game": Op("session_or_key"),
    "PUT /api/v1/offers/{offer_id}/game": Op("session_or_key", (409,)),
    "DELETE /api/v1/offers/{offer_id}/game": Op("session_or_key", (409,)),
    "GET /api/v1/offers/{offer_id}/game/players": Op("session_or_key", (400,)),
    "PUT /api/v1/offers/{offer_id}/game/players/{username}": Op("session_or_key", (409,)),
    "DELETE /api/v1/offers/{offer_id}/game/players/{username}": Op("session_or_key", (409,)),
    "POST /api/v1/offers/{offer_id}/game/join": Op("session", (403, 404, 409)),
    "GET /api/v1/offers/{offer_id}/game/me": Op("session"),
    # credentials/ (docs/credentials.md): people only (no merchant key); 404 for what
    # the caller may not see, 403 not_holder / wrong_merchant, 409 and 410 refusals
    "POST /api/v1/merchants/{merchant_id}/credential-templates": Op("session", (403,)),
    "GET /api/v1/merchants/{merchant_id}/credential-templates": Op("session", (400,)),
    "GET /api/v1/credential-templates/{template_id}": Op("session", (403,)),
    "PATCH /api/v1/credential-templates/{template_id}": Op("session", (403, 409)),
    "DELETE /api/v1/credential-templates/{template_id}": Op("session", (403,)),
    "POST /api/v1/credential-templates/{template_id}/items": Op("session", (403, 409)),
    "POST /api/v1/credential-templates/{template_id}/items/bulk": Op("session", (403, 409)),
    "GET /api/v1/credential-templates/{template_id}/items": Op("session", (400, 403)),
    "GET /api/v1/credential-templates/{template_id}/items.pdf": Op("session", (403,)),
    "GET /api/v1/credential-items/{item_id}": Op("session"),
    "POST /api/v1/claims": Op("session", (403,)),
    "GET /api/v1/me/credentials": Op("session", (400,)),
    "GET /api/v1/credentials/{credential_id}": Op("session"),
    "GET /api/v1/credentials/{credential_id}/presentation": Op("session", (403, 409)),
    "POST /api/v1/credentials/{credential_id}/endorse": Op("session", (403, 409)),
    "GET /api/v1/credentials/{credential_id}/chain": Op("session"),
    "POST /api/v1/credentials/{credential_id}/revoke": Op("session"),
    "POST /api/v1/redemptions": Op("session", (403, 409, 410)),
    "POST /api/v1/verifications": Op("session", (403,)),
    "GET /api/v1/revocations": Op("none"),
    "GET /api/v1/merchants/{merchant_id}/credential-audit": Op("session", (400,)),
    "GET /api/v1/merchants/{merchant_id}/credential-audit.csv": Op("session"),
    # receipts/ (docs/receipts.md)
    "POST /api/v1/merchants/{merchant_id}/payment-codes": Op("session", (403,)),
    "GET /api/v1/merchants/{merchant_id}/payment-codes": Op("session", (400,)),
    "GET /api/v1/payment-codes/{payment_code_id}": Op("session"),
    "GET /api/v1/payment-codes/{payment_code_id}/image.{fmt}": Op("session"),
    "POST /api/v1/payment-codes/{payment_code_id}/withdraw": Op("session", (403,)),
    "POST /api/v1/payment-codes/pay": Op("session", (409, 410)),
    "POST /api/v1/merchants/{merchant_id}/service-requests": Op("session", (403,)),
    "GET /api/v1/merchants/{merchant_id}/service-requests": Op("session", (400,)),
    "POST /api/v1/service-requests": Op("session"),
    "GET /api/v1/me/service-requests": Op("session", (400,)),
    "POST /api/v1/service-requests/{request_id}/complete": Op("session", (403,)),
    "POST /api/v1/credentials/{credential_id}/verification-links": Op("session", (403,)),
    "POST /api/v1/redemptions/offline": Op("session"),
    "GET /api/v1/merchants/{merchant_id}/redemption-conflicts": Op("session", (400,)),
}

SCHEMES = {
    "session": {
        "type": "http",
        "scheme": "bearer",
        "description": "A session token from `/api/v1/auth/login` or `/auth/register` "
        "(the pages send the `rc_session` cookie instead).",
    },
    "merchantKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A merchant API key (`rck_…`), made by an owner under "
        "`/api/v1/merchants/{slug}/api-keys`; it may do what its scopes allow.",
    },
}
_SECURITY: dict[Auth, list[dict[str, list[str]]]] = {
    "none": [],
    "optional": [{}, {"session": []}, {"merchantKey": []}],
    "session": [{"session": []}],
    "session_or_key": [{"session": []}, {"merchantKey": []}],
}
ERROR_TEXT = {
    400: "Not possible in this situation",
    401: "No, unknown or expired credentials (`unauthorized`, `bad_token`, …)",
    403: "Not allowed here: your role, or the key's scopes",
    404: "No such resource",
    409: "Conflicts with the current state (taken, changed since loaded, wrong status)",
    410: "Withdrawn or expired",
    413: "The request body is too large (`too_large`)",
    422: "The request is not valid (`invalid_input`, with `details.problems`)",
    429: "Too many attempts: wait for `Retry-After` seconds",
    503: "Temporarily unavailable",
}
_IMAGE = {"schema": {"type": "string", "format": "binary"}}
_BULK_ROWS = {
    "type": "object",
    "required": ["rows"],
    "properties": {
        "rows": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "items": {
                "type": "object",
                "required": ["holder"],
                "properties": {"holder": {"type": "string"}, "fields": {"type": "object"}},
            },
        }
    },
}
REQUEST_BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/decode": {
        "required": True,
        "description": "A PNG, JPEG, WebP or GIF picture: as a form's `file` field or as the body",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "image/png": _IMAGE,
            "image/jpeg": _IMAGE,
            "image/webp": _IMAGE,
            "image/gif": _IMAGE,
        },
    },
    "POST /api/v1/payments/stripe/webhook": {
        "required": True,
        "description": "A Stripe event as Stripe sends it, signed in the `Stripe-Signature` "
        "header (`t=<unix time>,v1=<HMAC-SHA256 hex>`)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    "PUT /api/v1/offers/{offer_id}/image": {
        "required": True,
        "description": "The picture itself as the body: PNG, JPEG or WebP",
        "content": {"image/png": _IMAGE, "image/jpeg": _IMAGE, "image/webp": _IMAGE},
    },
    "POST /api/v1/credential-templates/{template_id}/items/bulk": {
        "required": True,
        "description": "A CSV file (`text/csv`: a header `holder,<field key>,...`, then one "
        'item a line) or JSON `{"rows": [{"holder", "fields"}]}`; at most 1,000 rows, '
        "issued all or none",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": _BULK_ROWS},
        },
    },
}


def _errors_for(key: str, op: dict[str, Any], declared: Op) -> set[int]:
    """The errors an operation can give: those its shape implies, plus its own."""
    errors = set(declared.errors)
    params = op.get("parameters", [])
    has_body = "requestBody" in op or key in REQUEST_BODIES
    if params or has_body:
        errors.add(422)
    if has_body:
        errors.add(413)
    if any(p.get("in") == "path" for p in params):
        errors.add(404)
    if declared.auth != "none":
        errors.add(401)  # a wrong token, even where none is needed
    if declared.auth == "session_or_key" or "{slug}" in key:
        errors.add(403)  # the caller's role in that merchant, or the key's scopes
    return errors


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    error_schema = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["Error"] = error_schema
    # FastAPI's own 422 model describes an answer we never give.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = SCHEMES
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            key = f"{method.upper()} {path}"
            declared = OPERATIONS.get(key)
            if declared is None:
                continue  # tests/test_openapi.py fails on an undeclared operation
            if key in REQUEST_BODIES:
                op["requestBody"] = REQUEST_BODIES[key]
            if declared.auth != "none":
                op["security"] = _SECURITY[declared.auth]
            responses = op.setdefault("responses", {})
            for status in sorted(_errors_for(key, op, declared)):
                responses[str(status)] = _error_response(status)
    return doc


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_TEXT[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return response


def install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

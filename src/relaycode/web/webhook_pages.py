"""A merchant's webhooks, for its owners: endpoints, their secrets (shown once), a test
event, and each endpoint's delivery log with replay (the API's rules, notify/webhooks.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from relaycode.deps import DbDep, ReadDbDep
from relaycode.errors import AppError, NotFound
from relaycode.models import Merchant
from relaycode.notify import repository as repo
from relaycode.notify import webhooks
from relaycode.notify.events import EVENT_TYPES
from relaycode.notify.schemas import WebhookIn
from relaycode.state import AppState
from relaycode.web.dashboard import FlashDbDep, MerchantOwner, OwnerPage
from relaycode.web.flash import clear_flash, set_flash, take_flash
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()
_ERRORS = ("bad_webhook_url", "unknown_event", "too_many_webhooks")


def hooks_path(slug: str) -> str:
    return f"/dashboard/m/{slug}/webhooks"


def _list_page(
    request: Request,
    db: Session,
    principal: Any,
    merchant: Merchant,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    flash: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    found = repo.endpoints_page(db, merchant.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    secret = (flash or {}).get("secret")
    context = {
        "user": principal.user,
        "merchant": merchant,
        "endpoints": found.items,
        "endpoints_pager": pager(request, found, anchor="hooks-h"),
        "event_types": list(EVENT_TYPES),
        "form": form or {"url": "", "events": []},
        "errors": errors or [],
        "new_secret": secret if isinstance(secret, str) else None,
        "new_secret_for": (flash or {}).get("endpoint"),
    }
    return page(request, "webhooks.html", context, status=status)


@router.get("/dashboard/m/{slug}/webhooks")
def webhooks_page(
    request: Request,
    merchant: OwnerPage,
    db: ReadDbDep,
    flash_db: FlashDbDep,
    principal: SignedInDep,
) -> Response:
    # A secret just made is shown here once, from the one-time flash its POST left.
    flash = take_flash(request, flash_db, "webhook_secret")
    return clear_flash(request, _list_page(request, db, principal, merchant, flash=flash))


@router.post("/dashboard/m/{slug}/webhooks")
def create_webhook(
    request: Request, form: FormDep, merchant: MerchantOwner, db: DbDep, principal: SignedInDep
) -> Response:
    chosen = [e for e in form.getlist("events") if isinstance(e, str)]
    values = {"url": text(form, "url")[:2048], "events": chosen}
    state: AppState = request.app.state.rc
    try:
        data = WebhookIn(url=values["url"], events=chosen)
        endpoint, secret = webhooks.create_endpoint(
            db, merchant, data.url, data.events, allow_private=state.settings.webhook_allow_private
        )
    except ValidationError:
        errors = ["notify.webhooks.error.invalid"]
        return _list_page(request, db, principal, merchant, form=values, errors=errors, status=422)
    except AppError as err:
        key = err.code if err.code in _ERRORS else "invalid"
        return _list_page(request, db, principal, merchant, form=values, status=err.status,
                          errors=[f"notify.webhooks.error.{key}"])  # fmt: skip
    return _with_secret(request, merchant, endpoint.id, secret)


def _with_secret(request: Request, merchant: Merchant, endpoint_id: int, secret: str) -> Response:
    path = hooks_path(merchant.slug)
    response = redirect(request, f"{path}#hook-{endpoint_id}")
    set_flash(
        request, response, path, "webhook_secret", {"secret": secret, "endpoint": endpoint_id}
    )
    return response


@router.post("/dashboard/m/{slug}/webhooks/{webhook_id}/delete")
def delete_webhook(
    request: Request, webhook_id: int, form: FormDep, merchant: MerchantOwner, db: DbDep
) -> Response:
    webhooks.delete_endpoint(db, merchant, webhook_id)
    return redirect(request, hooks_path(merchant.slug))


@router.post("/dashboard/m/{slug}/webhooks/{webhook_id}/rotate")
def rotate_webhook(
    request: Request, webhook_id: int, form: FormDep, merchant: MerchantOwner, db: DbDep
) -> Response:
    endpoint, secret = webhooks.rotate_secret(db, merchant, webhook_id)
    return _with_secret(request, merchant, endpoint.id, secret)


def log_path(slug: str, webhook_id: int) -> str:
    return f"{hooks_path(slug)}/{webhook_id}"


@router.post("/dashboard/m/{slug}/webhooks/{webhook_id}/test")
def test_webhook(
    request: Request, webhook_id: int, form: FormDep, merchant: MerchantOwner, db: DbDep
) -> Response:
    webhooks.send_test(db, merchant, webhook_id)
    path = log_path(merchant.slug, webhook_id)
    response = redirect(request, path)
    set_flash(request, response, path, "webhook_log", {"notice": "test_sent"})
    return response


@router.get("/dashboard/m/{slug}/webhooks/{webhook_id}")
def delivery_log(
    request: Request,
    webhook_id: int,
    merchant: OwnerPage,
    db: ReadDbDep,
    flash_db: FlashDbDep,
    principal: SignedInDep,
) -> Response:
    endpoint = repo.endpoint(db, merchant.id, webhook_id)
    if endpoint is None:
        raise NotFound("no such webhook", code="webhook_not_found")
    found = repo.deliveries_page(db, endpoint.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    flash = take_flash(request, flash_db, "webhook_log")
    notice = (flash or {}).get("notice")
    context = {
        "user": principal.user,
        "merchant": merchant,
        "endpoint": endpoint,
        "deliveries": found.items,
        "attempts": repo.attempts_of(db, [d.id for d in found.items]),
        "deliveries_pager": pager(request, found, anchor="log-h"),
        "notice": notice if notice in ("test_sent", "replayed") else None,
    }
    return clear_flash(request, page(request, "webhook_log.html", context))


@router.post("/dashboard/m/{slug}/webhooks/{webhook_id}/deliveries/{delivery_id}/replay")
def replay_delivery(
    request: Request,
    webhook_id: int,
    delivery_id: int,
    form: FormDep,
    merchant: MerchantOwner,
    db: DbDep,
) -> Response:
    found = repo.delivery(db, merchant.id, delivery_id)
    if found is None or found.endpoint_id != webhook_id:
        raise NotFound("no such delivery", code="delivery_not_found")
    webhooks.replay(db, merchant, delivery_id)
    path = log_path(merchant.slug, webhook_id)
    response = redirect(request, path + "#log-h")
    set_flash(request, response, path, "webhook_log", {"notice": "replayed"})
    return response

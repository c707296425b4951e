"""The issuer's credential pages under the merchant dashboard: templates (list, create),
one template (issue one, issue from a CSV file, its items and their credentials, revoke)
and the merchant's credential audit log. The rules are the credential services'."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from relaycode.credentials import issuance, present, revocation, templates
from relaycode.credentials import repository as repo
from relaycode.credentials.issuance import Row
from relaycode.credentials.service import (
    EDITORS,
    OWNERS,
    READERS,
    effective_status,
    team_template,
)
from relaycode.db.base import utcnow
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import AppError, NotFound
from relaycode.identity.auth import Principal
from relaycode.models import CredentialTemplate, Merchant
from relaycode.state import AppState
from relaycode.web.credential_form import BLANK, minor_units, template_in
from relaycode.web.credential_pages import FORMS
from relaycode.web.dashboard import FlashDbDep, MerchantEditor, MerchantOwner, MerchantPage
from relaycode.web.flash import clear_flash, set_flash, take_flash
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text, upload

router = APIRouter()
KINDS = ("bank_bill", "ticket", "access_pass", "service_voucher", "receipt", "custom")
TYPES = ("text", "money", "date", "int")
MAX_CSV = 1024 * 1024


def creds_path(slug: str) -> str:
    return f"/dashboard/m/{slug}/credentials"


def _template_of(
    db: Session, principal: Principal, merchant: Merchant, template_id: int, roles: tuple[str, ...]
) -> CredentialTemplate:
    template = team_template(db, principal, template_id, roles)
    if template.merchant_id != merchant.id:
        raise NotFound("no such credential template", code="template_not_found")
    return template


def _list_page(
    request: Request,
    db: Session,
    principal: Principal,
    merchant: Merchant,
    *,
    form: dict[str, Any] | None = None,
    errors: list[Any] | None = None,
    status: int = 200,
) -> Response:
    found = repo.templates_page(db, merchant.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    context = {
        "user": principal.user,
        "merchant": merchant,
        "templates": found.items,
        "templates_pager": pager(request, found, anchor="tpl-h"),
        "kinds": KINDS,
        "all_forms": FORMS,
        "errors": errors or [],
        "form": form or dict(BLANK),
    }
    return page(request, "credential_templates.html", context, status=status)


@router.get("/dashboard/m/{slug}/credentials")
def templates_page(
    request: Request, merchant: MerchantPage, db: ReadDbDep, principal: SignedInDep
) -> Response:
    return _list_page(request, db, principal, merchant)


@router.post("/dashboard/m/{slug}/credentials")
def create_template(
    request: Request, form: FormDep, merchant: MerchantOwner, db: DbDep, principal: SignedInDep
) -> Response:
    names = (
        "kind",
        "name",
        "fields",
        "use_mode",
        "max_uses",
        "currency",
        "valid_days",
        "valid_until",
        "max_endorsements",
    )
    values: dict[str, Any] = {n: text(form, n)[:4000] for n in names}
    values["forms"] = [f for f in form.getlist("forms") if f in FORMS]
    values["transferable"] = bool(text(form, "transferable"))
    values["show_holder_name"] = bool(text(form, "show_holder_name"))
    try:
        data = template_in(form, values)
    except (ValidationError, ValueError) as exc:
        problems = exc.errors() if isinstance(exc, ValidationError) else []
        msg = "; ".join(str(p.get("msg", "")) for p in problems[:5]) or str(exc)
        errors = [("credpages.error.invalid_template", (("detail", msg[:300]),))]
        return _list_page(request, db, principal, merchant, form=values, errors=errors, status=422)
    made = templates.create_template(db, merchant, data)
    return redirect(request, f"{creds_path(merchant.slug)}/{made.id}")


def _items(db: Session, state: AppState, items: list[Any]) -> list[dict[str, Any]]:
    """Each item with its printed text and the current generation of its credential."""
    now = utcnow()
    rows = []
    for out, item in zip(present.items_out(state, db, items), items, strict=True):
        current = None
        if item.credential_id is not None:
            first = repo.credential_by_id(db, item.credential_id)
            chain = repo.chain_of(db, first) if first is not None else []
            current = chain[-1] if chain else None
        status = effective_status(current, now) if current is not None else None
        rows.append({"item": out, "credential": current, "status": status})
    return rows


def _template_page(
    request: Request,
    db: Session,
    state: AppState,
    principal: Principal,
    merchant: Merchant,
    template_id: int,
    *,
    errors: list[Any] | None = None,
    row_errors: list[dict[str, Any]] | None = None,
    typed: dict[str, str] | None = None,
    notice: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    template = _template_of(db, principal, merchant, template_id, READERS)
    items = repo.items_page(db, template.id, cursor=cursor_of(request, "items"), limit=PAGE_SIZE)
    audit = repo.audit_page(db, merchant.id, cursor=cursor_of(request, "audit"), limit=PAGE_SIZE)
    names = repo.usernames(db, {a.actor_user_id for a in audit.items if a.actor_user_id})
    context = {
        "user": principal.user,
        "merchant": merchant,
        "template": template,
        "rows": _items(db, state, items.items),
        "items_pager": pager(request, items, "items", anchor="items-h"),
        "audit": present.audit_out(audit.items, names),
        "audit_pager": pager(request, audit, "audit", anchor="audit-h"),
        "errors": errors or [],
        "row_errors": row_errors or [],
        "typed": typed or {},
        "notice": notice,
    }
    return page(request, "credential_template.html", context, status=status)


@router.get("/dashboard/m/{slug}/credentials/{template_id}")
def template_page(
    request: Request,
    template_id: int,
    merchant: MerchantPage,
    db: FlashDbDep,
    state: StateDep,
    principal: SignedInDep,
) -> Response:
    flash = take_flash(request, db, "credential_issue")
    shown = _template_page(request, db, state, principal, merchant, template_id, notice=flash)
    return clear_flash(request, shown)


def _issued(
    request: Request, merchant: Merchant, template_id: int, data: dict[str, Any]
) -> Response:
    path = f"{creds_path(merchant.slug)}/{template_id}"
    response = redirect(request, path)
    set_flash(request, response, path, "credential_issue", data)
    return response


def _refused(
    request: Request,
    db: Session,
    state: AppState,
    principal: Principal,
    merchant: Merchant,
    template_id: int,
    err: AppError,
    **kw: Any,
) -> Response:
    if err.status >= 500:
        raise err
    db.rollback()
    detail = (("detail", err.message[:300]),)
    return _template_page(
        request,
        db,
        state,
        principal,
        merchant,
        template_id,
        status=err.status,
        errors=[(f"credpages.error.{err.code}", detail)],
        **kw,
    )


@router.post("/dashboard/m/{slug}/credentials/{template_id}/items")
def issue_one(
    request: Request,
    template_id: int,
    form: FormDep,
    merchant: MerchantEditor,
    db: DbDep,
    state: StateDep,
    principal: SignedInDep,
) -> Response:
    template = _template_of(db, principal, merchant, template_id, EDITORS)
    holder = text(form, "holder")[:64]
    fields = {f["key"]: text(form, "field." + f["key"])[:500] for f in template.fields}
    fields = {k: v for k, v in fields.items() if v}
    values = minor_units(request, template, fields)
    try:
        item = issuance.issue_item(
            db, state.keyring, template.id, Row(holder, values), actor=principal.user
        )
    except AppError as err:
        typed = {"holder": holder, **{"field." + k: v for k, v in fields.items()}}
        return _refused(request, db, state, principal, merchant, template_id, err, typed=typed)
    return _issued(
        request,
        merchant,
        template.id,
        {"item": item.id, "count": 1, "text": present.text_of(state, db, item.code_id)},
    )


@router.post("/dashboard/m/{slug}/credentials/{template_id}/items/csv")
async def issue_csv(
    request: Request,
    template_id: int,
    form: FormDep,
    merchant: MerchantEditor,
    db: DbDep,
    state: StateDep,
    principal: SignedInDep,
) -> Response:
    file = upload(form, "file")
    body = (await file.read(MAX_CSV + 1)) if file is not None else b""

    def work() -> Response:
        _template_of(db, principal, merchant, template_id, EDITORS)
        try:
            if len(body) > MAX_CSV:
                raise AppError("at most 1 MiB", code="too_large", status=413)
            try:
                csv_text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise AppError("not UTF-8", code="invalid_csv", status=422) from None
            rows = issuance.rows_from_csv(csv_text)
            made = issuance.issue_many(db, state.keyring, template_id, rows, actor=principal.user)
        except AppError as err:
            bad = list(err.details.get("rows", [])) if err.code == "invalid_rows" else []
            return _refused(
                request, db, state, principal, merchant, template_id, err, row_errors=bad
            )
        return _issued(request, merchant, template_id, {"count": len(made)})

    return await run_in_threadpool(work)


@router.post("/dashboard/m/{slug}/credentials/{template_id}/revoke/{credential_id}")
def revoke_credential(
    request: Request,
    template_id: int,
    credential_id: str,
    form: FormDep,
    merchant: MerchantEditor,
    db: DbDep,
    principal: SignedInDep,
) -> Response:
    template = _template_of(db, principal, merchant, template_id, EDITORS)
    c = repo.credential_by_id(db, credential_id[:64])
    if c is None or c.template_id != template.id:
        raise NotFound("no such credential", code="credential_not_found")
    revocation.revoke(db, c.id, reason="issuer", actor=principal.user)
    return redirect(request, f"{creds_path(merchant.slug)}/{template.id}#items-h")


__all__ = ["OWNERS", "router"]

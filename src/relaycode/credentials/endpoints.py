"""HTTP for templates and items (thin): define, issue one or many, list, print.

docs/credentials.md is the contract. Templates are written by the merchant's owners,
items issued by owners and staff; its verifiers may read both.
"""

# No ``from __future__ import annotations``: FastAPI reads the signatures at runtime.

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from relaycode.credentials import issuance, present, templates
from relaycode.credentials import repository as repo
from relaycode.credentials.issuance import Row
from relaycode.credentials.schemas import (
    BulkIn,
    BulkOut,
    ItemIn,
    ItemOut,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
)
from relaycode.credentials.service import (
    EDITORS,
    OWNERS,
    READERS,
    SCOPE,
    is_team,
    merchant_of,
    team_template,
)
from relaycode.db.base import is_db_id
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import InvalidInput, NotFound
from relaycode.identity.auth import PrincipalDep, UserDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.merchants.service import authorize

router = APIRouter(tags=["credentials"])
MerchantId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The merchant's id")]
TemplateId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The template's id")]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The item's id")]


@router.post("/merchants/{merchant_id}/credential-templates", status_code=status.HTTP_201_CREATED)
def create_template(
    merchant_id: MerchantId, data: TemplateIn, user: UserDep, principal: PrincipalDep, db: DbDep
) -> TemplateOut:
    """A template (owners): kind, fields, use mode, validity, endorsement rules, forms."""
    merchant = merchant_of(db, merchant_id) if is_db_id(merchant_id) else None
    if merchant is None or not is_team(db, principal, merchant.id, READERS):
        raise NotFound("no such merchant", code="merchant_not_found")
    authorize(db, principal, merchant, roles=OWNERS, scope=SCOPE)
    return present.template_out(templates.create_template(db, merchant, data))


@router.get("/merchants/{merchant_id}/credential-templates")
def list_templates(
    merchant_id: MerchantId,
    user: UserDep,
    principal: PrincipalDep,
    db: ReadDbDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[TemplateOut]:
    """The merchant's templates, newest first (its team)."""
    if not is_team(db, principal, merchant_id, READERS):
        raise NotFound("no such merchant", code="merchant_not_found")
    page = repo.templates_page(db, merchant_id, cursor=cursor, limit=limit)
    return ListOut(
        items=[present.template_out(t) for t in page.items], next_cursor=page.next_cursor
    )


@router.get("/credential-templates/{template_id}")
def get_template(
    template_id: TemplateId, user: UserDep, principal: PrincipalDep, db: ReadDbDep
) -> TemplateOut:
    """A template (the merchant's team)."""
    return present.template_out(team_template(db, principal, template_id, READERS))


@router.patch("/credential-templates/{template_id}")
def update_template(
    template_id: TemplateId, data: TemplatePatch, user: UserDep, principal: PrincipalDep, db: DbDep
) -> TemplateOut:
    """Change the name, validity, endorsement rules, forms (owners); issued items keep
    their fields, credentials their uses."""
    team_template(db, principal, template_id, OWNERS)
    return present.template_out(templates.update_template(db, template_id, data))


@router.delete("/credential-templates/{template_id}")
def archive_template(
    template_id: TemplateId, user: UserDep, principal: PrincipalDep, db: DbDep
) -> TemplateOut:
    """Archive (owners): no new items; what was issued keeps working."""
    team_template(db, principal, template_id, OWNERS)
    return present.template_out(templates.archive_template(db, template_id))


@router.post("/credential-templates/{template_id}/items", status_code=status.HTTP_201_CREATED)
def issue_item(
    template_id: TemplateId,
    data: ItemIn,
    user: UserDep,
    principal: PrincipalDep,
    db: DbDep,
    state: StateDep,
) -> ItemOut:
    """One item (code 61) bound to a username or a phone number (owners, staff)."""
    team_template(db, principal, template_id, EDITORS)
    item = issuance.issue_item(
        db, state.keyring, template_id, Row(data.holder, dict(data.fields)), actor=user
    )
    return present.item_out(state, db, item)


async def _bulk_rows(request: Request) -> list[Row]:
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8", code="invalid_input") from None
    if kind in ("text/csv", "text/plain"):
        return issuance.rows_from_csv(text)
    try:
        data = BulkIn.model_validate(json.loads(text))
    except (ValueError, ValidationError, RecursionError) as exc:  # Recursion: nested too deep
        problems = exc.errors()[:20] if isinstance(exc, ValidationError) else []
        details = {"problems": [{"loc": list(p["loc"]), "msg": p["msg"]} for p in problems]}
        raise InvalidInput("send CSV (text/csv) or JSON rows", code="invalid_input",
                           details=details) from None  # fmt: skip
    return [Row(r.holder, dict(r.fields)) for r in data.rows]


@router.post("/credential-templates/{template_id}/items/bulk", status_code=status.HTTP_201_CREATED)
async def issue_bulk(
    template_id: TemplateId,
    request: Request,
    user: UserDep,
    principal: PrincipalDep,
    db: DbDep,
    state: StateDep,
) -> BulkOut:
    """Many items at once, all or none (a 422 `invalid_rows` names each bad row): a CSV
    body (`text/csv`: header `holder,<field key>,...`) or JSON `{"rows": [...]}`."""
    rows = await _bulk_rows(request)

    def work() -> BulkOut:
        team_template(db, principal, template_id, EDITORS)
        made = issuance.issue_many(db, state.keyring, template_id, rows, actor=user)
        return BulkOut(created=len(made), items=present.items_out(state, db, made))

    return await run_in_threadpool(work)


@router.get("/credential-templates/{template_id}/items")
def list_items(
    template_id: TemplateId,
    user: UserDep,
    principal: PrincipalDep,
    db: ReadDbDep,
    state: StateDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[ItemOut]:
    """The template's items, newest first (the merchant's team)."""
    team_template(db, principal, template_id, READERS)
    page = repo.items_page(db, template_id, cursor=cursor, limit=limit)
    return ListOut(items=present.items_out(state, db, page.items), next_cursor=page.next_cursor)


@router.get(
    "/credential-templates/{template_id}/items.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def items_pdf(
    template_id: TemplateId, user: UserDep, principal: PrincipalDep, db: ReadDbDep, state: StateDep
) -> Response:
    """A print sheet of the template's item codes (ids only: no holder on the paper)."""
    template = team_template(db, principal, template_id, EDITORS)
    pdf = issuance.template_items_pdf(db, template, lambda cid: present.text_of(state, db, cid))
    headers = {
        "Content-Disposition": f'attachment; filename="relaycode-template-{template.id}.pdf"',
        "Cache-Control": "private, no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/credential-items/{item_id}")
def get_item(
    item_id: ItemId, user: UserDep, principal: PrincipalDep, db: ReadDbDep, state: StateDep
) -> ItemOut:
    """An item, with its holder and printed code's text (the merchant's team)."""
    item = repo.item_by_id(db, item_id)
    if item is None or not is_team(db, principal, item.merchant_id, READERS):
        raise NotFound("no such item", code="item_not_found")
    return present.item_out(state, db, item)

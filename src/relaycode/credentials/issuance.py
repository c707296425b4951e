"""Issuing items (code 61): one, many from a CSV file or JSON rows, and their print sheet.

Bulk issuance is all-or-nothing: every row is checked first, and one bad row refuses the
whole batch with the problems of every bad row (``details.rows``), so a corrected file
can simply be sent again without making doubles of the rows that were fine.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.codes.sheets import SheetItem, render_sheet_pdf
from relaycode.credentials import repository as repo
from relaycode.credentials.fields import first_money, parse_values
from relaycode.credentials.holders import Holder, resolve_holder
from relaycode.credentials.service import audit, new_code
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import AppError, Conflict, InvalidInput, NotFound
from relaycode.models import CredentialItem, CredentialTemplate, User

MAX_ROWS = 1000
MAX_PDF_ITEMS = 2000


@dataclass(frozen=True)
class Row:
    holder: str
    fields: dict[str, Any]


def _window(t: CredentialTemplate, now: datetime) -> tuple[datetime | None, datetime | None]:
    until = t.valid_until
    if t.valid_days is not None:
        by_days = now + timedelta(days=t.valid_days)
        until = by_days if until is None else min(until, by_days)
    return t.valid_from, until


def _locked_template(db: Session, template_id: int) -> CredentialTemplate:
    # Locked so an archive committed meanwhile is seen (lock, check, then do).
    template = get_for_update(db, CredentialTemplate, template_id)
    if template is None:
        raise NotFound("no such credential template", code="template_not_found")
    if template.status != "active":
        raise Conflict("this template is archived; it issues no items", code="template_archived")
    return template


def _checked(db: Session, t: CredentialTemplate, row: Row) -> tuple[Holder, dict[str, Any]]:
    holder = resolve_holder(db, row.holder)
    values = parse_values(list(t.fields), row.fields)
    if t.use_mode == "balance" and not first_money(list(t.fields), values):
        raise InvalidInput(
            "a balance credential needs an amount above zero",
            code="invalid_fields",
            details={"problems": [{"field": "amount", "problem": "must be above zero"}]},
        )
    return holder, values


def _make(
    db: Session,
    keyring: Keyring,
    t: CredentialTemplate,
    holder: Holder,
    values: dict[str, Any],
    actor: User | None,
    now: datetime,
) -> CredentialItem:
    valid_from, valid_until = _window(t, now)
    code = new_code(db, keyring, "credential_item", valid_until)
    item = CredentialItem(
        template_id=t.id, merchant_id=t.merchant_id, code_id=code.id,
        holder_user_id=holder.user.id if holder.user else None, holder_phone=holder.phone,
        field_values=values, amount_minor=first_money(list(t.fields), values),
        valid_from=valid_from, valid_until=valid_until,
        status="issued" if holder.user else "pending",
        issued_by_user_id=actor.id if actor else None, created_at=now,
    )  # fmt: skip
    db.add(item)
    db.flush()
    audit(db, t.merchant_id, "issued", item_id=item.id, actor=actor)
    return item


def issue_item(
    db: Session, keyring: Keyring, template_id: int, row: Row, *, actor: User | None
) -> CredentialItem:
    template = _locked_template(db, template_id)
    holder, values = _checked(db, template, row)
    return _make(db, keyring, template, holder, values, actor, utcnow())


def issue_many(
    db: Session,
    keyring: Keyring,
    template_id: int,
    rows: list[Row],
    *,
    actor: User | None,
    progress: Callable[[int], None] | None = None,
) -> list[CredentialItem]:
    """All rows or none: every row is checked before the first is made."""
    if not rows:
        raise InvalidInput("no rows", code="empty")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} rows at once", code="too_many_rows")
    template = _locked_template(db, template_id)
    checked: list[tuple[Holder, dict[str, Any]]] = []
    problems: list[dict[str, Any]] = []
    for n, row in enumerate(rows, start=1):
        try:
            checked.append(_checked(db, template, row))
        except AppError as exc:
            problems.append({"row": n, "code": exc.code, "message": exc.message, **exc.details})
    if problems:
        raise InvalidInput(
            f"{len(problems)} of {len(rows)} rows are not valid; nothing was issued",
            code="invalid_rows",
            details={"rows": problems[:100]},
        )
    now = utcnow()
    made = []
    for n, (holder, values) in enumerate(checked, start=1):
        made.append(_make(db, keyring, template, holder, values, actor, now))
        if progress is not None:
            progress(n)
    return made


def rows_from_csv(text: str) -> list[Row]:
    """A header ``holder,<field key>,...`` then one row per item (empty cell: no value)."""
    if "\x00" in text:
        raise InvalidInput("the file holds NUL characters", code="invalid_csv")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
        if not header or header[0] != "holder" or len(set(header)) != len(header):
            raise InvalidInput(
                "the first line must be: holder,<field key>,... (no column twice)",
                code="invalid_csv",
            )
        rows: list[Row] = []
        for n, cells in enumerate(reader, start=1):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise InvalidInput(
                    f"line {n + 1} has {len(cells)} cells, the header {len(header)}",
                    code="invalid_csv",
                    details={"row": n},
                )
            if len(rows) >= MAX_ROWS:
                raise InvalidInput(f"at most {MAX_ROWS} rows at once", code="too_many_rows")
            values = dict(zip(header[1:], (c.strip() for c in cells[1:]), strict=True))
            rows.append(Row(holder=cells[0], fields={k: v for k, v in values.items() if v}))
    except StopIteration:
        raise InvalidInput("the file is empty", code="empty") from None
    except csv.Error as exc:
        raise InvalidInput(f"not a CSV file: {exc}", code="invalid_csv") from None
    return rows


def items_pdf(texts: Iterable[tuple[str, str, str]]) -> bytes:
    """A print sheet of item codes: (text, caption, detail) each; ids only, no holder."""
    items = [SheetItem(text=t, caption=c, detail=d) for t, c, d in texts]
    if len(items) > MAX_PDF_ITEMS:
        raise InvalidInput(f"at most {MAX_PDF_ITEMS} codes on one sheet", code="too_many_items")
    return render_sheet_pdf(items)


def template_items_pdf(db: Session, template: CredentialTemplate, text_of: Any) -> bytes:
    texts = []
    for item in repo.all_items(db, template.id):
        text = text_of(item.code_id)
        if text is not None:
            texts.append((text, template.name, f"#{item.id}"))
        if len(texts) > MAX_PDF_ITEMS:
            break
    return items_pdf(texts)

"""The credential template form of the issuer's pages (web/credential_admin.py): what
was typed, read into the API's TemplateIn (whose checks are the rules), and money typed
as people write it turned into minor units for the item's fields."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from relaycode.credentials.schemas import TemplateIn
from relaycode.models import CredentialTemplate
from relaycode.money import DEFAULT_CURRENCY, MoneyError, to_minor
from relaycode.web import i18n
from relaycode.web.session import text

# The new-template form as it first shows.
BLANK: dict[str, Any] = {"kind": "ticket", "name": "", "fields": "", "use_mode": "single",
                         "forms": ["reference"], "max_endorsements": "0"}  # fmt: skip


def parse_fields(raw: str) -> list[dict[str, Any]]:
    """One field a line: ``key, Label, type[, optional]`` (type text|money|date|int)."""
    out = []
    for line in raw.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if not parts[0]:
            continue
        kind = parts[2] if len(parts) > 2 and parts[2] else "text"
        optional = len(parts) > 3 and parts[3].lower() in ("optional", "opt", "no")
        out.append(
            {
                "key": parts[0],
                "label": parts[1] if len(parts) > 1 and parts[1] else parts[0],
                "type": kind,
                "required": not optional,
            }
        )
    return out


def day_end(value: str) -> datetime | None:
    if not value:
        return None
    return datetime.combine(datetime.fromisoformat(value).date(), time(23, 59, 59), UTC)


def template_in(form: FormData, values: dict[str, Any]) -> TemplateIn:
    use_mode = values["use_mode"]
    data = {
        "kind": values["kind"],
        "name": values["name"],
        "use_mode": use_mode,
        "fields": parse_fields(values["fields"]),
        "max_uses": int(values["max_uses"]) if use_mode == "count" and values["max_uses"] else None,
        # Money fields and balances are in this currency (the default when left empty).
        "currency": (values["currency"] or "").strip().upper()
        or (DEFAULT_CURRENCY if use_mode == "balance" else None),
        "valid_days": int(values["valid_days"]) if values["valid_days"] else None,
        "valid_until": day_end(values["valid_until"]),
        "transferable": bool(text(form, "transferable")),
        "max_endorsements": int(values["max_endorsements"] or 0),
        "forms": values["forms"] or ["reference"],
        "show_holder_name": bool(text(form, "show_holder_name")),
    }
    return TemplateIn.model_validate(data)


def minor_units(
    request: Request, template: CredentialTemplate, typed: dict[str, str]
) -> dict[str, Any]:
    """Money typed as people write it ("12.50", "¥12.50") in minor units, as the service
    takes it; what does not read as money goes on as typed, to be refused with its field."""
    lang = i18n.pick_lang(request)
    locale = i18n.number_locale(request, lang)
    out: dict[str, Any] = dict(typed)
    currency = template.currency or DEFAULT_CURRENCY
    for f in template.fields:
        if f["type"] == "money" and f["key"] in typed:
            with contextlib.suppress(MoneyError):
                out[f["key"]] = to_minor(typed[f["key"]], currency, locale)
    return out

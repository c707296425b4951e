"""Credential templates: what a merchant's owners define once and issue many times."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from relaycode.credentials.schemas import TemplateIn, TemplatePatch, check_template
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import Conflict, InvalidInput, NotFound
from relaycode.models import CredentialTemplate, Merchant


def create_template(db: Session, merchant: Merchant, data: TemplateIn) -> CredentialTemplate:
    values = data.model_dump()
    values["fields"] = [dict(f) for f in values["fields"]]
    template = CredentialTemplate(merchant_id=merchant.id, status="active", **values)
    db.add(template)
    db.flush()
    return template


def _merged(template: CredentialTemplate, patch: dict[str, Any]) -> dict[str, Any]:
    names = ("fields", "use_mode", "max_uses", "currency", "valid_from", "valid_until",
             "valid_days", "transferable", "max_endorsements", "forms")  # fmt: skip
    merged = {n: getattr(template, n) for n in names}
    merged.update(patch)
    return merged


def update_template(db: Session, template_id: int, data: TemplatePatch) -> CredentialTemplate:
    """Change what may change without touching issued items (their fields and the
    credentials' uses stay as issued); lock, check the whole again, then write."""
    template = get_for_update(db, CredentialTemplate, template_id)
    if template is None:
        raise NotFound("no such credential template", code="template_not_found")
    if template.status == "archived":
        raise Conflict("this template is archived", code="template_archived")
    patch = data.model_dump(exclude_unset=True)
    for key in ("name", "transferable", "max_endorsements", "forms", "show_holder_name"):
        if key in patch and patch[key] is None:
            raise InvalidInput(f"{key} cannot be null", code="invalid_input")
    try:
        check_template(_merged(template, patch))
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid_template") from None
    for key, value in patch.items():
        setattr(template, key, value)
    template.updated_at = utcnow()
    db.flush()
    return template


def archive_template(db: Session, template_id: int) -> CredentialTemplate:
    """No new items; the credentials already issued keep working."""
    template = get_for_update(db, CredentialTemplate, template_id)
    if template is None:
        raise NotFound("no such credential template", code="template_not_found")
    template.status = "archived"
    template.updated_at = utcnow()
    return template

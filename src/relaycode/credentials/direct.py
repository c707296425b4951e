"""Credentials the server issues by itself (Figs. 10, 11): a voucher once a service was
done, a receipt once a payment went through. No code 61 is printed or claimed: the
item is made and claimed in one step for the user, through the same rows and audit
lines as an issued-then-claimed item, so verification, redemption, revocation and the
signed form treat them like any other credential.

Each merchant gets its template of the kind on first use, with sensible defaults (its
owners may edit it later: docs/credentials.md). The merchant's row is locked first, so
two first issues racing make one template.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.credentials import notices
from relaycode.credentials.claims import _credential_for
from relaycode.credentials.fields import parse_values
from relaycode.credentials.holders import Holder
from relaycode.credentials.issuance import _make
from relaycode.credentials.schemas import TemplateIn
from relaycode.credentials.service import audit, merchant_of
from relaycode.credentials.templates import create_template
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.models import Credential, CredentialTemplate, Merchant, User

_TEXT = "text"
DEFAULTS: dict[str, dict[str, Any]] = {
    "service_voucher": {
        "name": "Service voucher",
        "fields": [
            {"key": "service", "label": "Service", "type": _TEXT},
            {"key": "request", "label": "Request", "type": _TEXT},
            {"key": "completed_at", "label": "Completed", "type": _TEXT},
        ],
        "use_mode": "single",
        "forms": ["reference", "signed"],
    },
    "receipt": {
        "name": "Receipt",
        "fields": [
            {"key": "amount", "label": "Amount", "type": "money"},
            {"key": "currency", "label": "Currency", "type": _TEXT},
            {"key": "payee", "label": "Payee", "type": _TEXT},
            {"key": "time", "label": "Time", "type": _TEXT},
            {"key": "reference", "label": "Payment reference", "type": _TEXT},
        ],
        "use_mode": "single",
        "forms": ["reference", "signed"],
    },
}


def template_for(db: Session, merchant_id: int, kind: str) -> CredentialTemplate:
    """The merchant's active template of ``kind`` (its oldest), made on first use."""
    merchant = get_for_update(db, Merchant, merchant_id) or merchant_of(db, merchant_id)
    found = db.scalar(
        select(CredentialTemplate)
        .where(
            CredentialTemplate.merchant_id == merchant_id,
            CredentialTemplate.kind == kind,
            CredentialTemplate.status == "active",
        )
        .order_by(CredentialTemplate.id)
        .limit(1)
    )
    if found is not None:
        return found
    return create_template(
        db, merchant, TemplateIn.model_validate({"kind": kind, **DEFAULTS[kind]})
    )


def issue_to(
    db: Session,
    keyring: Keyring,
    template: CredentialTemplate,
    user: User,
    values: dict[str, Any],
    *,
    actor: User | None,
) -> Credential:
    """A credential of ``template`` held by ``user`` at once (item made and claimed).
    Values the template does not know are dropped (an owner may have removed a field)."""
    keys = {f["key"] for f in template.fields}
    checked = parse_values(list(template.fields), {k: v for k, v in values.items() if k in keys})
    now = utcnow()
    item = _make(db, keyring, template, Holder(user=user, phone=None), checked, actor, now)
    credential = _credential_for(db, keyring, item, template, user, None)
    item.status, item.credential_id, item.claimed_at = "claimed", credential.id, now
    audit(db, item.merchant_id, "claimed", credential_id=credential.id, item_id=item.id,
          actor=actor)  # fmt: skip
    notices.claimed(db, credential)
    db.flush()
    return credential

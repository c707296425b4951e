"""Rows to answers: what each reader of a template, item or credential is shown."""

from __future__ import annotations

from sqlalchemy.orm import Session

from relaycode.codes.answers import code_text
from relaycode.credentials import repository as repo
from relaycode.credentials.schemas import (
    AuditOut,
    ChainLinkOut,
    CredentialOut,
    FieldSpec,
    ItemOut,
    RedemptionOut,
    TemplateOut,
)
from relaycode.models import (
    Code,
    Credential,
    CredentialAudit,
    CredentialItem,
    CredentialRedemption,
    CredentialTemplate,
)
from relaycode.money import DEFAULT_CURRENCY, exponent
from relaycode.state import AppState


def template_out(t: CredentialTemplate) -> TemplateOut:
    # Templates made before money fields carried a currency are in the default one.
    money = any(f["type"] == "money" for f in t.fields)
    currency = t.currency or (DEFAULT_CURRENCY if money else None)
    return TemplateOut(
        id=t.id, merchant_id=t.merchant_id, kind=t.kind, name=t.name,
        fields=[FieldSpec.model_validate(f) for f in t.fields], use_mode=t.use_mode,
        max_uses=t.max_uses, currency=currency,
        currency_exponent=exponent(currency) if currency else None, valid_from=t.valid_from,
        valid_until=t.valid_until, valid_days=t.valid_days, transferable=t.transferable,
        max_endorsements=t.max_endorsements, forms=list(t.forms),
        show_holder_name=t.show_holder_name, status=t.status, created_at=t.created_at,
    )  # fmt: skip


def text_of(state: AppState, db: Session, code_id: str) -> str | None:
    code = db.get(Code, code_id)
    return code_text(state.settings, state.keyring, code) if code is not None else None


def item_out(
    state: AppState, db: Session, item: CredentialItem, names: dict[int, str | None] | None = None
) -> ItemOut:
    uid = item.holder_user_id
    if names is None:
        names = repo.usernames(db, {uid} if uid else set())
    return ItemOut(
        id=item.id, template_id=item.template_id, status=item.status,
        holder=names.get(uid) if uid else None, holder_phone=item.holder_phone,
        fields=dict(item.field_values), valid_from=item.valid_from,
        valid_until=item.valid_until, credential_id=item.credential_id,
        created_at=item.created_at, claimed_at=item.claimed_at,
        text=text_of(state, db, item.code_id),
    )  # fmt: skip


def items_out(state: AppState, db: Session, items: list[CredentialItem]) -> list[ItemOut]:
    names = repo.usernames(db, {i.holder_user_id for i in items if i.holder_user_id})
    return [item_out(state, db, i, names) for i in items]


def credential_out(
    db: Session,
    c: Credential,
    *,
    status: str,
    team: bool = False,
    template: CredentialTemplate | None = None,
) -> CredentialOut:
    """``status``: the effective one (service.effective_status); ``team``: the reader is
    of the issuer's team, who may see the holder's username."""
    template = template or db.get(CredentialTemplate, c.template_id)
    item = db.get(CredentialItem, c.item_id)
    assert template is not None and item is not None
    holder = None
    if team and c.holder_user_id is not None:
        holder = repo.usernames(db, {c.holder_user_id}).get(c.holder_user_id)
    return CredentialOut(
        id=c.id, status=status, template=template_out(template),
        fields=dict(item.field_values), generation=c.generation, parent_id=c.parent_id,
        uses_left=c.uses_left, balance_minor=c.balance_minor, currency=c.currency,
        valid_from=c.valid_from, valid_until=c.valid_until, created_at=c.created_at,
        holder=holder,
    )  # fmt: skip


def redemption_out(r: CredentialRedemption, currency: str | None) -> RedemptionOut:
    return RedemptionOut(
        id=r.id, credential_id=r.credential_id, verdict=r.verdict, reason=r.reason,
        amount_minor=r.amount_minor, uses_left=r.uses_left, balance_minor=r.balance_minor,
        currency=currency, station=r.station, created_at=r.created_at,
    )  # fmt: skip


def chain_out(
    db: Session, chain: list[Credential], status_of: dict[str, str]
) -> list[ChainLinkOut]:
    names = repo.usernames(db, {c.holder_user_id for c in chain if c.holder_user_id})
    return [
        ChainLinkOut(
            id=c.id,
            generation=c.generation,
            parent_id=c.parent_id,
            status=status_of[c.id],
            holder=names.get(c.holder_user_id) if c.holder_user_id else None,
            created_at=c.created_at,
        )
        for c in chain
    ]


def audit_out(rows: list[CredentialAudit], names: dict[int, str | None]) -> list[AuditOut]:
    return [
        AuditOut(
            id=a.id,
            action=a.action,
            credential_id=a.credential_id,
            item_id=a.item_id,
            actor=names.get(a.actor_user_id) if a.actor_user_id else None,
            device_id=a.device_id,
            station=a.station,
            reason=a.reason,
            detail=dict(a.detail or {}),
            created_at=a.created_at,
        )
        for a in rows
    ]

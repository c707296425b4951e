"""Queries for credentials, their items, templates and the issuer's audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from relaycode.db.pagination import Order, Page, page_all, paginate
from relaycode.models import (
    Credential,
    CredentialAudit,
    CredentialEndorsement,
    CredentialItem,
    CredentialRedemption,
    CredentialRevocation,
    CredentialTemplate,
    Membership,
    User,
)

TEMPLATE_ORDER = Order(
    "credential_templates",
    (CredentialTemplate.created_at, CredentialTemplate.id),
    (datetime, int),
    descending=True,
)
ITEM_ORDER = Order(
    "credential_items", (CredentialItem.created_at, CredentialItem.id), (datetime, int), True
)
CREDENTIAL_ORDER = Order(
    "credentials", (Credential.created_at, Credential.id), (datetime, str), descending=True
)
AUDIT_ORDER = Order(
    "credential_audit", (CredentialAudit.created_at, CredentialAudit.id), (datetime, int), True
)
REVOCATION_LIMIT = 1000


def template_by_id(db: Session, template_id: int) -> CredentialTemplate | None:
    return db.get(CredentialTemplate, template_id) if 1 <= template_id <= 2**31 - 1 else None


def templates_page(
    db: Session, merchant_id: int, *, cursor: str | None, limit: int
) -> Page[CredentialTemplate]:
    q = select(CredentialTemplate).where(CredentialTemplate.merchant_id == merchant_id)
    return paginate(db, q, TEMPLATE_ORDER, cursor=cursor, limit=limit)


def item_by_id(db: Session, item_id: int) -> CredentialItem | None:
    return db.get(CredentialItem, item_id) if 1 <= item_id <= 2**31 - 1 else None


def item_by_code(db: Session, code_id: str) -> CredentialItem | None:
    return db.scalars(select(CredentialItem).where(CredentialItem.code_id == code_id)).first()


def items_page(
    db: Session, template_id: int, *, cursor: str | None, limit: int
) -> Page[CredentialItem]:
    q = select(CredentialItem).where(CredentialItem.template_id == template_id)
    return paginate(db, q, ITEM_ORDER, cursor=cursor, limit=limit)


def all_items(db: Session, template_id: int) -> Iterator[CredentialItem]:
    q = select(CredentialItem).where(CredentialItem.template_id == template_id)
    found: Iterator[CredentialItem] = page_all(db, q, ITEM_ORDER)
    return found


def credential_by_id(db: Session, credential_id: str) -> Credential | None:
    if len(credential_id) != 32:
        return None
    return db.get(Credential, credential_id.lower())


def credential_by_code(db: Session, code_id: str) -> Credential | None:
    return db.scalars(select(Credential).where(Credential.code_id == code_id)).first()


def holder_credentials(
    db: Session, user_id: int, *, cursor: str | None, limit: int
) -> Page[Credential]:
    q = select(Credential).where(Credential.holder_user_id == user_id)
    return paginate(db, q, CREDENTIAL_ORDER, cursor=cursor, limit=limit)


def chain_of(db: Session, credential: Credential) -> list[Credential]:
    """Every generation of the credential's item, oldest first (one item, one chain)."""
    q = (
        select(Credential)
        .where(Credential.item_id == credential.item_id)
        .order_by(Credential.generation, Credential.id)
    )
    return list(db.scalars(q))


def redemptions_of(
    db: Session, credential_ids: list[str], limit: int = 100
) -> list[CredentialRedemption]:
    """The redeem attempts on these credentials (one chain), newest first."""
    q = (
        select(CredentialRedemption)
        .where(CredentialRedemption.credential_id.in_(credential_ids))
        .order_by(CredentialRedemption.created_at.desc(), CredentialRedemption.id.desc())
        .limit(limit)
    )
    return list(db.scalars(q))


def pending_items(db: Session, phone: str) -> list[int]:
    q = select(CredentialItem.id).where(
        CredentialItem.holder_phone == phone, CredentialItem.status == "pending"
    )
    return list(db.scalars(q))


def pending_credentials(db: Session, phone: str) -> list[str]:
    q = select(Credential.id).where(
        Credential.holder_phone == phone, Credential.holder_user_id.is_(None)
    )
    return list(db.scalars(q))


def redemption_by_nonce(db: Session, verifier_id: int, nonce: str) -> CredentialRedemption | None:
    q = select(CredentialRedemption).where(
        CredentialRedemption.verifier_user_id == verifier_id, CredentialRedemption.nonce == nonce
    )
    return db.scalars(q.execution_options(populate_existing=True)).first()


def revocation_of(db: Session, credential_id: str) -> CredentialRevocation | None:
    q = select(CredentialRevocation).where(CredentialRevocation.credential_id == credential_id)
    return db.scalars(q).first()


def revocations_since(db: Session, since: int) -> list[CredentialRevocation]:
    q = (
        select(CredentialRevocation)
        .where(CredentialRevocation.version > since)
        .order_by(CredentialRevocation.version)
        .limit(REVOCATION_LIMIT + 1)
    )
    return list(db.scalars(q))


def role_in(db: Session, merchant_id: int, user_id: int) -> str | None:
    q = select(Membership.role).where(
        Membership.merchant_id == merchant_id, Membership.user_id == user_id
    )
    return db.scalars(q).first()


def usernames(db: Session, user_ids: set[int]) -> dict[int, str | None]:
    if not user_ids:
        return {}
    rows = db.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
    return {uid: name for uid, name in rows}


def endorsement_labels(db: Session, credential_ids: list[str]) -> dict[str, str | None]:
    """How each endorser named the holder of these credentials (by the new credential)."""
    if not credential_ids:
        return {}
    E = CredentialEndorsement
    rows = db.execute(
        select(E.to_credential_id, E.to_label).where(E.to_credential_id.in_(credential_ids))
    )
    return {cid: label for cid, label in rows}


def audit_query(merchant_id: int):  # type: ignore[no-untyped-def]
    return select(CredentialAudit).where(CredentialAudit.merchant_id == merchant_id)


def audit_page(
    db: Session, merchant_id: int, *, cursor: str | None, limit: int
) -> Page[CredentialAudit]:
    return paginate(db, audit_query(merchant_id), AUDIT_ORDER, cursor=cursor, limit=limit)


def audit_all(db: Session, merchant_id: int) -> Iterator[CredentialAudit]:
    found: Iterator[CredentialAudit] = page_all(db, audit_query(merchant_id), AUDIT_ORDER)
    return found


CONFLICT_ORDER = Order(
    "credential_redemptions",
    (CredentialRedemption.created_at, CredentialRedemption.id),
    (datetime, int),
    descending=True,
)


def conflicts_page(
    db: Session, merchant_id: int, *, cursor: str | None, limit: int
) -> Page[CredentialRedemption]:
    """Conflicts, and the accepted uses of a credential revoked or endorsed after it was
    redeemed offline (reason ``revoked_after``): both are the issuer's to settle."""
    R = CredentialRedemption
    settle = or_(
        R.verdict == "conflict", and_(R.verdict == "accepted", R.reason == "revoked_after")
    )
    q = select(R).where(R.merchant_id == merchant_id, settle)
    return paginate(db, q, CONFLICT_ORDER, cursor=cursor, limit=limit)

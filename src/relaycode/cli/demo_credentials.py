"""The credentials part of ``relaycode demo``: a bank, its teller, a bill to claim.

Idempotent: the bank, the template and the first bill are found again on a re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.codes.answers import code_text
from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.credentials import issuance
from relaycode.credentials.schemas import TemplateIn
from relaycode.credentials.templates import create_template
from relaycode.db.base import utcnow
from relaycode.identity.phone import find_user_by_verified_phone
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants import service as merchants
from relaycode.models import Code, CredentialItem, CredentialTemplate, Membership, User

BANK = ("demo-bank", "示范银行 Demo Bank")
HOLDER, SECOND, VERIFIER = "dora", "evan", "teller"
SECOND_PHONE = "+8613800138000"
BILL = TemplateIn(
    kind="bank_bill",
    name="Bank bill · 银行汇票",
    fields=[
        {"key": "amount", "label": "Amount · 金额", "type": "money"},
        {"key": "drawer", "label": "Drawer · 出票人", "type": "text"},
    ],
    use_mode="single",
    transferable=True,
    max_endorsements=2,
    forms=["reference", "signed", "rotating"],
    show_holder_name=True,
)


HALL = ("demo-hall", "示范剧场 Demo Hall")
TICKET = TemplateIn(
    kind="ticket",
    name="Concert ticket · 音乐会门票",
    fields=[
        {"key": "seat", "label": "Seat · 座位", "type": "text"},
        {"key": "door", "label": "Door · 入口", "type": "text"},
    ],
    use_mode="single",
    transferable=True,
    max_endorsements=1,
    forms=["reference", "signed", "rotating"],
    show_holder_name=False,
)


def _template(db: Session, merchant_id: int, spec: TemplateIn = BILL) -> CredentialTemplate:
    found = db.scalars(
        select(CredentialTemplate)
        .where(CredentialTemplate.merchant_id == merchant_id, CredentialTemplate.name == spec.name)
        .order_by(CredentialTemplate.id)
    ).first()
    if found is not None:
        return found
    merchant = merchant_repo.merchant_by_id(db, merchant_id)
    assert merchant is not None
    return create_template(db, merchant, spec)


def _first_item(
    db: Session, ring: Keyring, template: CredentialTemplate, row: issuance.Row, owner: User
) -> CredentialItem:
    item = db.scalars(
        select(CredentialItem)
        .where(CredentialItem.template_id == template.id)
        .order_by(CredentialItem.id)
    ).first()
    return item or issuance.issue_item(db, ring, template.id, row, actor=owner)


def _ticket(
    db: Session, settings: Settings, ring: Keyring, owner: User, holder: User, teller: User
) -> dict[str, Any]:
    """The door story: a concert ticket for the holder, the same teller at the door."""
    hall = merchant_repo.merchant_by_slug(db, HALL[0]) or merchants.create_merchant(
        db, owner, *HALL
    )
    _member(db, hall.id, teller, "verifier")
    template = _template(db, hall.id, TICKET)
    row = issuance.Row(HOLDER, {"seat": "A-12", "door": "East 东门"})
    item = _first_item(db, ring, template, row, owner)
    code = db.get(Code, item.code_id)
    text = code_text(settings, ring, code) if code else None
    return {
        "merchant_id": hall.id,
        "template_id": template.id,
        "item": {"id": item.id, "text": text},
    }


def _member(db: Session, merchant_id: int, user: User, role: str) -> None:
    found = db.scalars(
        select(Membership).where(
            Membership.merchant_id == merchant_id, Membership.user_id == user.id
        )
    ).first()
    if found is None:
        db.add(Membership(merchant_id=merchant_id, user_id=user.id, role=role))
        db.flush()


def seed(
    db: Session,
    settings: Settings,
    ring: Keyring,
    owner: User,
    user: Callable[[str], User],
    token: Callable[[User], str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``credentials`` part of the demo's JSON, and the tokens to save."""
    bank = merchant_repo.merchant_by_slug(db, BANK[0]) or merchants.create_merchant(
        db, owner, *BANK
    )
    holder, second, teller = user(HOLDER), user(SECOND), user(VERIFIER)
    second.phone = second.phone or SECOND_PHONE
    if second.phone_verified_at is None and find_user_by_verified_phone(db, second.phone) is None:
        # Demo only: the number counts as proved, so "endorse to B's phone" finds B.
        second.phone_verified_at = utcnow()
    _member(db, bank.id, teller, "verifier")
    template = _template(db, bank.id)
    row = issuance.Row(HOLDER, {"amount": 500000, "drawer": "明前茶社 Spring Tea House"})
    item = _first_item(db, ring, template, row, owner)
    code = db.get(Code, item.code_id)
    tokens = {HOLDER: token(holder), SECOND: token(second), VERIFIER: token(teller)}
    doc = {
        "merchant_id": bank.id,
        "template_id": template.id,
        "item": {"id": item.id, "text": code_text(settings, ring, code) if code else None},
        "holder": {"username": holder.username, "token": tokens[HOLDER]},
        "second": {"username": second.username, "token": tokens[SECOND], "phone": second.phone},
        "verifier": {"username": teller.username, "token": tokens[VERIFIER]},
        "ticket": _ticket(db, settings, ring, owner, holder, teller),
    }
    return doc, tokens

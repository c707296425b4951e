"""Rows for analytics tests, written straight into the tables analytics reads.

Orders and commissions are made by other parts of relaycode; analytics only reads them,
so the tests insert the rows they need, with every column a real row would have.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from relaycode.identity import service as identity
from relaycode.models import (
    Code,
    Commission,
    Membership,
    Merchant,
    Offer,
    Order,
    ScanEvent,
    User,
)


def at(day: str, hour: int = 12) -> datetime:
    """Noon (or ``hour``) UTC of ``YYYY-MM-DD``."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def user(
    db: Session, username: str | None, *, display_name: str | None = None, phone: str | None = None
) -> User:
    row = User(
        kind="registered" if username else "device",
        username=username,
        pseudonym=secrets.token_hex(13),
        display_name=display_name,
        phone=phone,
    )
    db.add(row)
    db.flush()
    return row


def token(db: Session, who: User) -> str:
    """A bearer API token for ``who``."""
    device = identity.attach_device(db, who, None, "test")
    return identity.start_session(db, who, device, kind="api", days=1).secret


def merchant(db: Session, slug: str, members: dict[User, str] | None = None) -> Merchant:
    row = Merchant(slug=slug, name=slug.title())
    db.add(row)
    db.flush()
    for member, role in (members or {}).items():
        db.add(Membership(merchant_id=row.id, user_id=member.id, role=role))
    db.flush()
    return row


def offer(db: Session, shop: Merchant, title: str = "Green tea", currency: str = "CNY") -> Offer:
    row = Offer(merchant_id=shop.id, title=title, price_minor=1000, currency=currency)
    db.add(row)
    db.flush()
    return row


def code(
    db: Session,
    of: Offer,
    *,
    parent: Code | None = None,
    holder: User | None = None,
    channel: str | None = None,
    created: datetime | None = None,
) -> Code:
    row = Code(
        id=secrets.token_hex(16),
        kind="share" if parent is not None else "offer",
        offer_id=of.id,
        parent_id=parent.id if parent is not None else None,
        holder_user_id=holder.id if holder is not None else None,
        depth=parent.depth + 1 if parent is not None else 0,
        channel=channel,
        status="active",
        key_id=1,
        format_version=1,
        created_at=created or at("2030-01-01", 0),
    )
    db.add(row)
    db.flush()
    return row


def scan(
    db: Session,
    of: Code,
    when: datetime,
    *,
    by: User | None = None,
    device_id: int | None = None,
    agent: str | None = "Mozilla/5.0 (iPhone)",
    bot: bool = False,
    staff: bool = False,
) -> None:
    db.add(
        ScanEvent(
            code_id=of.id,
            verdict="ours",
            source="web",
            user_id=by.id if by is not None else None,
            device_id=device_id,
            user_agent=agent,
            is_bot=bot,
            is_staff=staff,
            created_at=when,
        )
    )


def order(
    db: Session,
    of: Offer,
    buyer: User,
    *,
    via: Code | None,
    amount: int,
    paid: datetime,
    status: str = "paid",
    refunded: int = 0,
    credited: Code | None = None,
    currency: str | None = None,
) -> Order:
    row = Order(
        merchant_id=of.merchant_id,
        offer_id=of.id,
        buyer_user_id=buyer.id,
        code_id=via.id if via is not None else None,
        attributed_code_id=credit.id if (credit := credited or via) is not None else None,
        referrer_chain=[],
        quantity=1,
        unit_price_minor=amount,
        amount_minor=amount,
        amount_refunded_minor=refunded,
        currency=currency or of.currency,
        payment_method="wallet",
        status=status,
        idempotency_key=secrets.token_hex(8),
        request_hash="0" * 64,
        created_at=paid,
        paid_at=None if status in ("pending", "cancelled") else paid,
    )
    db.add(row)
    db.flush()
    return row


def commission(
    db: Session,
    of: Order,
    to: User | None,
    *,
    via: Code | None,
    amount: int,
    level: int = 1,
    status: str = "pending",
    reversed_minor: int = 0,
    when: datetime | None = None,
    **extra: Any,
) -> Commission:
    row = Commission(
        order_id=of.id,
        level=level,
        beneficiary="user" if to is not None else "platform",
        user_id=to.id if to is not None else None,
        code_id=via.id if via is not None else None,
        amount_minor=amount,
        reversed_minor=reversed_minor,
        currency=of.currency,
        status=status,
        blocked_reason="self_referral" if status == "blocked" else None,
        created_at=when or of.created_at,
        **extra,
    )
    db.add(row)
    db.flush()
    return row

"""Queries for users, devices, sessions, merchants and keys."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.models import AuthSession, Device, Membership, Merchant, MerchantApiKey, User


def user_by_id(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def device_by_id(db: Session, device_id: int) -> Device | None:
    return db.get(Device, device_id)


def sessions_of_device(db: Session, device_id: int) -> list[AuthSession]:
    return list(db.scalars(select(AuthSession).where(AuthSession.device_id == device_id)))


def user_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username.strip().lower()))


def session_by_hash(db: Session, token_hash: str) -> AuthSession | None:
    return db.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash))


def device_by_uid(db: Session, device_uid: str) -> Device | None:
    return db.scalar(select(Device).where(Device.device_uid == device_uid))


def devices_of(db: Session, user_id: int) -> list[Device]:
    return list(db.scalars(select(Device).where(Device.user_id == user_id).order_by(Device.id)))


def merchant_by_slug(db: Session, slug: str) -> Merchant | None:
    return db.scalar(select(Merchant).where(Merchant.slug == slug))


def membership(db: Session, merchant_id: int, user_id: int) -> Membership | None:
    return db.scalar(
        select(Membership).where(
            Membership.merchant_id == merchant_id, Membership.user_id == user_id
        )
    )


def merchants_of(db: Session, user_id: int) -> list[tuple[Merchant, str]]:
    rows = db.execute(
        select(Merchant, Membership.role)
        .join(Membership, Membership.merchant_id == Merchant.id)
        .where(Membership.user_id == user_id)
        .order_by(Merchant.name)
    )
    return [(m, role) for m, role in rows]


def members_of(db: Session, merchant_id: int) -> list[tuple[User, str]]:
    rows = db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.merchant_id == merchant_id)
        .order_by(User.username)
    )
    return [(u, role) for u, role in rows]


def api_key_by_hash(db: Session, key_hash: str) -> MerchantApiKey | None:
    return db.scalar(select(MerchantApiKey).where(MerchantApiKey.key_hash == key_hash))


def api_keys_of(db: Session, merchant_id: int) -> list[MerchantApiKey]:
    return list(
        db.scalars(
            select(MerchantApiKey)
            .where(MerchantApiKey.merchant_id == merchant_id, MerchantApiKey.revoked_at.is_(None))
            .order_by(MerchantApiKey.id)
        )
    )

"""Queries for users, devices and sessions (merchants and their keys: merchants/)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.db.pagination import Order, Page, paginate
from relaycode.models import AuthSession, Device, User

DEVICE_ORDER = Order("devices", (Device.id,), (int,))  # oldest first


def user_by_id(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def device_by_id(db: Session, device_id: int) -> Device | None:
    return db.get(Device, device_id)


def sessions_of_device(db: Session, device_id: int) -> list[AuthSession]:
    return list(db.scalars(select(AuthSession).where(AuthSession.device_id == device_id)))


def user_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == username.strip().lower()))


def session_by_id(db: Session, session_id: int) -> AuthSession | None:
    return db.get(AuthSession, session_id)


def session_by_hash(db: Session, token_hash: str) -> AuthSession | None:
    return db.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash))


def device_by_uid(db: Session, device_uid: str) -> Device | None:
    return db.scalar(select(Device).where(Device.device_uid == device_uid))


def devices_page(db: Session, user_id: int, *, cursor: str | None, limit: int) -> Page[Device]:
    """The user's devices, a page at a time (db/pagination.py)."""
    q = select(Device).where(Device.user_id == user_id)
    return paginate(db, q, DEVICE_ORDER, cursor=cursor, limit=limit)

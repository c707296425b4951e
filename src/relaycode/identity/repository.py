"""Queries for users, devices and sessions (merchants and their keys: merchants/)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.models import AuthSession, Device, User


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


def devices_of(db: Session, user_id: int) -> list[Device]:
    return list(db.scalars(select(Device).where(Device.user_id == user_id).order_by(Device.id)))

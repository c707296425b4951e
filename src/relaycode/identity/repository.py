"""Queries for users, devices and sessions (merchants and their keys: merchants/), and
the one-time flashes a session was shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaycode.db.pagination import Order, Page, paginate
from relaycode.models import AuthSession, Device, ShownFlash, User

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


# ---- one-time flashes (web/flash.py): the ids already shown ---------------------------


def mark_flash_shown(db: Session, flash_id: str, expires_at: datetime) -> bool:
    """True for the first caller only. One statement (INSERT … ON CONFLICT DO NOTHING):
    of two requests showing one flash at once, the second waits for the first's
    transaction and then inserts nothing (or, were the first rolled back, takes it)."""
    dialect = db.get_bind().dialect
    insert = pg_insert if dialect.name == "postgresql" else sqlite_insert
    table = cast(Table, ShownFlash.__table__)
    stmt = insert(table).values(id=flash_id, expires_at=expires_at)
    stmt = stmt.on_conflict_do_nothing(index_elements=["id"])
    if dialect.insert_returning:  # PostgreSQL, SQLite >= 3.35: the row, or none
        return db.execute(stmt.returning(table.c.id)).first() is not None
    # psycopg reports -1 for this rowcount; older SQLite reports it exactly.
    return cast(CursorResult[Any], db.execute(stmt)).rowcount == 1


def purge_shown_flashes(db: Session, now: datetime) -> None:
    """Forget the ids of flashes past their expiry: their cookies are refused anyway."""
    db.execute(delete(ShownFlash).where(ShownFlash.expires_at < now))

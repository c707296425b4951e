"""Who a holder is: a username, or a phone number (maybe not registered yet).

``holder_for_phone`` is the one place a phone number becomes a user, so that the phone
slice (``relaycode.identity.phone``, verified numbers) can replace its body. Until then a
number matches ``users.phone`` exactly, after both are reduced to their digits.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from relaycode.errors import InvalidInput, NotFound
from relaycode.identity import repository as id_repo
from relaycode.models import User

_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{4,24}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def normalize_phone(value: str) -> str | None:
    """The digits of a phone number (6 to 15 of them, E.164's limit), else None."""
    text = value.strip()
    if not _PHONE.match(text):
        return None
    digits = re.sub(r"[^0-9]", "", text)
    return digits if 6 <= len(digits) <= 15 else None


def holder_for_phone(db: Session, phone: str) -> User | None:
    """The user whose (verified) phone number this is, if any."""
    digits = normalize_phone(phone)
    if digits is None:
        return None
    finder = _phone_finder()
    if finder is not None:
        found: User | None = finder(db, "+" + digits)
        return found
    candidates = db.scalars(
        select(User)
        .where(or_(User.phone == digits, User.phone == "+" + digits, User.phone == phone.strip()))
        .order_by(User.id)
        .limit(2)
    ).all()
    return candidates[0] if len(candidates) == 1 else None


def _phone_finder() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("relaycode.identity.phone")
    except ImportError:
        return None
    finder = getattr(module, "find_user_by_verified_phone", None)
    return finder if callable(finder) else None


@dataclass(frozen=True)
class Holder:
    """A user, or a phone number that names nobody yet (``phone``: digits only)."""

    user: User | None
    phone: str | None


def resolve_holder(db: Session, name: str) -> Holder:
    """``name`` is a username or a phone number; an unknown username is a 404
    ``user_not_found``, an unknown number a pending holder."""
    text = name.strip()
    digits = normalize_phone(text) if text[:1] in "+0123456789" else None
    if digits is not None:
        user = holder_for_phone(db, text)
        return Holder(user=user, phone=None if user is not None else digits)
    if not _USERNAME.match(text):
        raise InvalidInput("name a username or a phone number", code="invalid_holder")
    user = id_repo.user_by_username(db, text.lower())
    if user is None:
        raise NotFound("no such user", code="user_not_found")
    return Holder(user=user, phone=None)


def register_phone_hook(hook: Callable[[Session, User], None]) -> bool:
    """Add ``hook`` to ``relaycode.identity.phone.on_phone_verified`` once that module
    exists; False while it does not (the phone slice wires it then)."""
    try:
        module = importlib.import_module("relaycode.identity.phone")
    except ImportError:
        return False
    hooks = getattr(module, "on_phone_verified", None)
    if not isinstance(hooks, list):
        return False
    if hook not in hooks:
        hooks.append(hook)
    return True

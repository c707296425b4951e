"""Who a holder is: a username, or a phone number (maybe not registered yet).

A number is kept in E.164 (``identity.phone.normalise_phone``: "0138 0013 8000" in the
default region and "+86 138-0013-8000" are one number) and names a user only once that
user has verified it (``find_user_by_verified_phone``): an unverified claim on a number
must never receive someone's bill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from relaycode.errors import AppError, InvalidInput, NotFound
from relaycode.identity import phone as phones
from relaycode.identity import repository as id_repo
from relaycode.models import User

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def normalize_phone(value: str) -> str | None:
    """The number in E.164 ("+8613800138000"), or None when it is not a mobile number."""
    try:
        return phones.normalise_phone(value)
    except AppError:
        return None


def holder_for_phone(db: Session, phone: str) -> User | None:
    """The user who has verified this phone number, if any."""
    e164 = normalize_phone(phone)
    return phones.find_user_by_verified_phone(db, e164) if e164 is not None else None


@dataclass(frozen=True)
class Holder:
    """A user, or a phone number that names nobody yet (``phone``: E.164). ``named_as`` is
    how whoever named them may see them again: the username they typed, or the number
    they typed, masked; never the account behind a number (that would tell anyone who can
    endorse which account owns a phone number)."""

    user: User | None
    phone: str | None
    named_as: str | None = None


def resolve_holder(db: Session, name: str) -> Holder:
    """``name`` is a username or a phone number; an unknown username is a 404
    ``user_not_found``, an unknown number a pending holder."""
    text = name.strip()
    e164 = normalize_phone(text) if text[:1] in "+0123456789(" else None
    if e164 is not None:
        user = phones.find_user_by_verified_phone(db, e164)
        return Holder(user=user, phone=None if user is not None else e164,
                      named_as=phones.mask_phone(e164))  # fmt: skip
    if not _USERNAME.match(text):
        raise InvalidInput("name a username or a phone number", code="invalid_holder")
    user = id_repo.user_by_username(db, text.lower())
    if user is None:
        raise NotFound("no such user", code="user_not_found")
    return Holder(user=user, phone=None, named_as=user.username)

"""Phone numbers: what other domains use (docs/phone.md).

- ``normalise_phone(text, region=None) -> str``: E.164 (``+8613800138000``), or
  ``BadPhone`` (code ``bad_phone``, 422). ``region`` is an ISO 3166 alpha-2 code for a
  number written without ``+<country>``; ``None`` means ``RELAYCODE_DEFAULT_PHONE_REGION``.
- ``find_user_by_verified_phone(db, e164) -> User | None``: the one account that proved
  this number (an unverified claim never counts).
- ``mask_phone(e164) -> str``: ``+86 138****8000``, for every page and answer that is
  not the owner's own.
- ``on_phone_verified`` / ``register_phone_hook(fn)``: ``fn(db, user)`` runs in the same
  transaction as the verification, after ``user.phone`` became verified (credentials
  bound to that number, issued before the person registered, are claimed there). A hook
  that raises rolls the verification back with it.

A phone number is personal data: it lives in the database only, never in a code, a
log line, a rate-limit key (those use ``phone_key``), an URL or another user's page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.config import get_settings
from relaycode.errors import AppError
from relaycode.models import User

PhoneHook = Callable[[Session, User], None]

# Run in registration order by identity/phone_codes.py when a number becomes verified.
on_phone_verified: list[PhoneHook] = []

# Numbers a text message can reach. A fixed line cannot; where a plan cannot tell the
# two apart (US, CA, …) the number is accepted.
_TEXTABLE = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.PERSONAL_NUMBER,
}
_MAX_INPUT = 40


class BadPhone(AppError):
    status = 422
    code = "bad_phone"


def register_phone_hook(fn: PhoneHook) -> PhoneHook:
    """Add ``fn`` to ``on_phone_verified`` (once); usable as a decorator."""
    if fn not in on_phone_verified:
        on_phone_verified.append(fn)
    return fn


def run_phone_hooks(db: Session, user: User) -> None:
    for hook in list(on_phone_verified):
        hook(db, user)


def normalise_phone(text: str, region: str | None = None) -> str:
    """``text`` as E.164, when it is a valid number that can receive a text message."""
    if not isinstance(text, str) or not text.strip() or len(text) > _MAX_INPUT:
        raise BadPhone("enter a mobile phone number, e.g. +86 139 1234 5678")
    region = (region or get_settings().default_phone_region).upper()
    try:
        number = phonenumbers.parse(text.strip(), region)
    except NumberParseException:
        raise BadPhone("that is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise BadPhone("that is not a valid phone number")
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise BadPhone("that number cannot receive text messages", details={"reason": "not_mobile"})
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """``+86 138****8000``: country code, the first three and the last four digits."""
    try:
        number = phonenumbers.parse(e164, None)
        country, national = number.country_code, phonenumbers.national_significant_number(number)
    except NumberParseException:
        country, national = None, "".join(ch for ch in e164 if ch.isdigit())
    head, tail = (3, 4) if len(national) >= 9 else (min(2, len(national) // 3), 2)
    hidden = max(len(national) - head - tail, 1)
    shown = national[:head] + "*" * hidden + national[-tail:]
    return f"+{country} {shown}" if country else shown


def phone_key(e164: str) -> str:
    """A stand-in for the number where it must not go (rate-limit keys in Redis)."""
    return hashlib.sha256(f"relaycode phone\n{e164}".encode()).hexdigest()[:32]


def find_user_by_verified_phone(db: Session, e164: str) -> User | None:
    stmt = select(User).where(User.phone == e164, User.phone_verified_at.is_not(None))
    return db.scalar(stmt)

"""Proving a phone number with a one-time code (docs/phone.md).

1. ``request_code``: a 6-digit code, kept as an HMAC under the keyring's active key,
   valid ``CODE_SECONDS``, sent by text message after the transaction commits. The
   answer is the same whoever holds the number: it never tells a caller that the number
   is someone else's. Limited per account and per number (hashed, never the number, in
   the rate-limit store).
2. ``verify_code``: lock the account, then check and count. A wrong code counts one of
   ``MAX_ATTEMPTS``; the error it raises (``PhoneCodeRejected``) carries a change the
   caller must commit (the endpoints answer it rather than raise it). The right code
   makes the number the account's verified one, in the same transaction as the hooks of
   identity/phone.py.

Who keeps a number: the first account to prove it. A later account that proves the same
number gets ``phone_taken`` (409), told only after it proved it holds the phone. Other
accounts' unverified claims on that number are dropped when it is verified: a claim is
only what someone typed, and pending credentials must follow the proof, not the claim.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256

from limits import RateLimitItem, parse_many
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.db.aftercommit import after_commit
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update, get_many_for_update
from relaycode.errors import AppError, Conflict, NotFound, RateLimited
from relaycode.identity.phone import (
    find_user_by_verified_phone,
    mask_phone,
    normalise_phone,
    phone_key,
    run_phone_hooks,
)
from relaycode.identity.ratelimit import RateLimitStore
from relaycode.models import PhoneCode, User
from relaycode.notify.sms import SmsBackend, send_quietly
from relaycode.web import i18n

CODE_SECONDS = 600
MAX_ATTEMPTS = 5


class PhoneCodeRejected(AppError):
    """``bad_code`` (400), ``code_expired`` (410), ``too_many_attempts`` (429)."""


@dataclass(frozen=True)
class PhoneState:
    """What the owner may see of their number (``phone`` only ever to the owner)."""

    phone: str | None
    masked: str | None
    verified: bool
    pending: str | None  # the masked number a live code was sent to
    expires_at: datetime | None


class PhoneVerifier:
    def __init__(
        self, settings: Settings, keyring: Keyring, sms: SmsBackend, store: RateLimitStore
    ) -> None:
        self.region = settings.default_phone_region
        self.keyring = keyring
        self.sms = sms
        self.store = store
        self.per_user: list[RateLimitItem] = parse_many(settings.phone_codes_per_user)
        self.per_number: list[RateLimitItem] = parse_many(settings.phone_codes_per_number)

    def normalise(self, text: str) -> str:
        return normalise_phone(text, self.region)

    def request_code(self, db: Session, user: User, phone: str, lang: str) -> PhoneState:
        e164 = self.normalise(phone)
        me = _lock(db, user)
        if me.phone == e164 and me.phone_verified_at is not None:
            return state_of(db, me)  # already proved: nothing to send
        self._count_send(me.id, e164)
        kid, key = self.keyring.active_hmac()
        code = f"{secrets.randbelow(10**6):06d}"
        row = _code_row(db, me.id) or PhoneCode(user_id=me.id)
        row.phone, row.key_id, row.code_hash = e164, kid, _digest(key, me.id, e164, code)
        row.attempts, row.created_at = 0, utcnow()
        row.expires_at = row.created_at + timedelta(seconds=CODE_SECONDS)
        db.add(row)
        if me.phone_verified_at is None:
            me.phone = e164  # the claim, until proved; a verified number stays until then
        db.flush()
        text = i18n.Translator(lang)("phone.sms.text", code=code, minutes=CODE_SECONDS // 60)
        sms = self.sms
        # A closure, not a partial: a failed job is logged by its repr, with no number.
        after_commit(db, lambda: send_quietly(sms, e164, text))
        return state_of(db, me)

    def verify_code(self, db: Session, user: User, phone: str, code: str) -> User:
        e164 = self.normalise(phone)
        me, claims = _lock_claims(db, user, e164)
        row = _code_row(db, me.id)
        if row is None or row.phone != e164:
            raise PhoneCodeRejected("no code was sent to that number: ask for one",
                                    code="code_expired", status=410)  # fmt: skip
        if row.attempts >= MAX_ATTEMPTS:
            raise _too_many()
        key = self.keyring.hmac_key(row.key_id)
        if row.expires_at <= utcnow() or key is None:
            raise PhoneCodeRejected("that code has expired: ask for a new one",
                                    code="code_expired", status=410)  # fmt: skip
        given = code.strip() if isinstance(code, str) else ""
        if not hmac.compare_digest(_digest(key, me.id, e164, given), row.code_hash):
            row.attempts += 1
            db.flush()
            if row.attempts >= MAX_ATTEMPTS:
                raise _too_many()
            left = MAX_ATTEMPTS - row.attempts
            raise PhoneCodeRejected("that code is not right", code="bad_code", status=400,
                                    details={"attempts_left": left})  # fmt: skip
        db.delete(row)
        holder = find_user_by_verified_phone(db, e164)
        if holder is not None and holder.id != me.id:
            raise _taken()
        try:
            # A concurrent proof of the same number that this read could not see yet: the
            # unique index decides (PostgreSQL waits for the other to commit, then fails
            # this). Changed inside the savepoint: begin_nested() flushes what is pending
            # before it starts, and this change must be rolled back with it.
            with db.begin_nested():
                me.phone, me.phone_verified_at = e164, utcnow()
                db.flush()
        except IntegrityError:
            raise _taken() from None
        for other in claims:  # locked above, re-read under the lock
            if other.phone == e164 and other.phone_verified_at is None:
                other.phone = None
        db.flush()
        run_phone_hooks(db, me)
        return me

    def _count_send(self, user_id: int, e164: str) -> None:
        checks = [(r, ("phone-user", str(user_id))) for r in self.per_user]
        checks += [(r, ("phone-number", phone_key(e164))) for r in self.per_number]
        over = [(r, k) for r, k in checks if not self.store.test(r, *k)]
        if over:
            wait = max(self.store.retry_after(r, *k) for r, k in over)
            raise RateLimited(f"too many codes, try again in {wait} seconds",
                              details={"retry_after": max(wait, 1)})  # fmt: skip
        for rule, key in checks:
            self.store.hit(rule, *key)


def remove_phone(db: Session, user: User) -> User:
    """Forget the account's number, verified or not, and any code on its way."""
    me = _lock(db, user)
    row = _code_row(db, me.id)
    if row is not None:
        db.delete(row)
    me.phone = me.phone_verified_at = None
    db.flush()
    return me


def pending_phone(db: Session, user: User) -> str | None:
    """The number (E.164) the account's last code went to, if there is one."""
    row = _code_row(db, user.id)
    return row.phone if row is not None else None


def state_of(db: Session, user: User) -> PhoneState:
    row = _code_row(db, user.id)
    live = row is not None and row.attempts < MAX_ATTEMPTS and row.expires_at > utcnow()
    return PhoneState(
        phone=user.phone,
        masked=mask_phone(user.phone) if user.phone else None,
        verified=user.phone_verified_at is not None,
        pending=mask_phone(row.phone) if live and row is not None else None,
        expires_at=row.expires_at if live and row is not None else None,
    )


def _lock(db: Session, user: User) -> User:
    # The account's row first (parent before child): every change to its number and its
    # code goes through this lock, so counts and checks never interleave.
    me = get_for_update(db, User, user.id)
    if me is None:
        raise NotFound("no such account", code="user_not_found")
    return me


def _lock_claims(db: Session, user: User, e164: str) -> tuple[User, list[User]]:
    """The account and every other account claiming ``e164``, locked in id order.

    Verifying drops those claims. Locking them all at once, in one order, makes two
    proofs of one number queue instead of deadlocking (each would otherwise hold its own
    row and wait for the other's). A claim made after this read is left alone: it never
    counts as verified, and proving it later answers ``phone_taken``.
    """
    ids = set(db.scalars(select(User.id).where(User.phone == e164))) | {user.id}
    rows = get_many_for_update(db, User, ids)
    me = next((u for u in rows if u.id == user.id), None)
    if me is None:
        raise NotFound("no such account", code="user_not_found")
    return me, [u for u in rows if u.id != user.id]


def _code_row(db: Session, user_id: int) -> PhoneCode | None:
    return db.scalar(select(PhoneCode).where(PhoneCode.user_id == user_id))


def _digest(key: bytes, user_id: int, e164: str, code: str) -> str:
    message = f"relaycode phone code v1\n{user_id}\n{e164}\n{code}".encode()
    return hmac.new(key, message, sha256).hexdigest()


def _too_many() -> PhoneCodeRejected:
    return PhoneCodeRejected("too many wrong codes: ask for a new one",
                             code="too_many_attempts", status=429)  # fmt: skip


def _taken() -> Conflict:
    return Conflict("that number is verified by another account", code="phone_taken")

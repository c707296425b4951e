"""Identity rules: registration, sign-in, devices, sessions and API tokens.

Services flush but never commit; the request's transaction does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.errors import AppError, Conflict, NotFound, Unauthorized
from relaycode.identity import repository as repo
from relaycode.identity.passwords import Passwords
from relaycode.identity.phone import normalise_phone
from relaycode.identity.schemas import RegisterIn
from relaycode.identity.tokens import USER_TOKEN_PREFIX, hash_secret, new_public_id, new_secret
from relaycode.models import AuthSession, Device, User


@dataclass(frozen=True)
class SignIn:
    """A new session: the secret is shown once, to the caller only."""

    user: User
    device: Device
    secret: str


def register(
    db: Session, pw: Passwords, data: RegisterIn, *, phone_region: str | None = None
) -> User:
    """A new account. A phone number given here is normalised (422 ``bad_phone``) and
    kept as an unverified claim: it is proved later with a code (identity/phone_codes.py)."""
    phone = normalise_phone(data.phone, phone_region) if data.phone else None
    if repo.user_by_username(db, data.username) is not None:
        raise Conflict("that username is taken", code="username_taken")
    user = User(
        kind="registered",
        username=data.username,
        password_hash=pw.hash(data.password),
        pseudonym=new_public_id(),
        display_name=data.display_name,
        phone=phone,
        email=data.email,
        address=data.address,
        payment_account=data.payment_account,
        # Never an operator: those are made explicitly (relaycode admin create-operator),
        # or the first stranger to reach a fresh instance would administer it.
        is_operator=False,
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        # Lost a race with a concurrent sign-up: the unique constraint decides.
        raise Conflict("that username is taken", code="username_taken") from None
    return user


def authenticate(db: Session, pw: Passwords, username: str, password: str) -> User:
    user = repo.user_by_username(db, username)
    # Verify even for an unknown user, and say the same thing either way.
    ok = pw.verify(user.password_hash if user else None, password)
    if user is None or not ok:
        raise Unauthorized("wrong username or password", code="bad_credentials")
    if user.password_hash and pw.needs_rehash(user.password_hash):
        user.password_hash = pw.hash(password)
    return user


def create_device_account(db: Session, label: str | None) -> User:
    """A terminal known only by its device id (Fig. 6 variant): no username, no password."""
    user = User(kind="device", pseudonym=new_public_id())
    db.add(user)
    db.flush()
    return user


def attach_device(db: Session, user: User, device_uid: str | None, label: str | None) -> Device:
    """Reuse the caller's device record when it is theirs, else make a new one."""
    if device_uid:
        device = repo.device_by_uid(db, device_uid)
        if device is not None and device.user_id == user.id and device.revoked_at is None:
            device.last_seen_at = utcnow()
            if label:
                device.label = label
            return device
    device = Device(device_uid=new_public_id(15), user_id=user.id, label=label)
    db.add(device)
    db.flush()
    return device


def start_session(
    db: Session, user: User, device: Device, *, kind: str, days: int, name: str | None = None
) -> SignIn:
    secret = new_secret(USER_TOKEN_PREFIX)
    db.add(
        AuthSession(
            token_hash=hash_secret(secret),
            kind=kind,
            name=name,
            user_id=user.id,
            device_id=device.id,
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    db.flush()
    return SignIn(user=user, device=device, secret=secret)


def resolve_session(db: Session, secret: str) -> AuthSession | None:
    session = repo.session_by_hash(db, hash_secret(secret))
    if session is None or session.revoked_at is not None:
        return None
    if session.expires_at is not None and session.expires_at < utcnow():
        return None
    return session


def end_session(db: Session, session: AuthSession) -> None:
    """Sign out ``session`` (the caller's, which was loaded read-only: re-read it here)."""
    current = repo.session_by_id(db, session.id)
    if current is not None and current.revoked_at is None:
        current.revoked_at = utcnow()


def revoke_device(db: Session, user: User, device_uid: str) -> Device:
    device = repo.device_by_uid(db, device_uid)
    if device is None or device.user_id != user.id:
        raise NotFound("no such device", code="device_not_found")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
    # Signing out everywhere that device was signed in.
    for s in repo.sessions_of_device(db, device.id):
        if s.revoked_at is None:
            s.revoked_at = device.revoked_at
    return device


def set_device_key(db: Session, user: User, device: Device | None, public_key: str) -> Device:
    if device is None or device.user_id != user.id:
        raise AppError("sign in from a device first", code="no_device", status=400)
    # The caller's device was loaded read-only; the change goes through this session.
    current = repo.device_by_id(db, device.id)
    if current is None:
        raise AppError("sign in from a device first", code="no_device", status=400)
    current.public_key = public_key
    return current

"""Merchant rules: who may do what for a merchant, its team, and its scoped API keys.

Services flush but never commit; the request's transaction does. Team changes take the
merchant's row lock first (``lock_merchant``), so the rules they check hold until commit.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import AppError, Conflict, Forbidden, NotFound, Unauthorized
from relaycode.identity import repository as id_repo
from relaycode.identity.auth import Principal
from relaycode.identity.tokens import MERCHANT_KEY_PREFIX, hash_secret, new_secret
from relaycode.merchants import repository as repo
from relaycode.models import Membership, Merchant, MerchantApiKey, User

# The roles that may do each kind of thing (operators and scoped keys aside).
OWNERS: tuple[str, ...] = ("owner",)
EDITORS: tuple[str, ...] = ("owner", "staff")
READERS: tuple[str, ...] = ("owner", "staff", "verifier")


def authorize(
    db: Session, principal: Principal, merchant: Merchant, *, roles: tuple[str, ...], scope: str
) -> None:
    """Members with one of ``roles``, operators, or a key of this merchant with ``scope``."""
    if principal.api_key is not None:
        if principal.api_key.merchant_id == merchant.id and scope in principal.scopes:
            return
        raise Forbidden("this key may not do that", code="forbidden")
    if principal.user is None:
        raise Unauthorized("sign in first", code="not_signed_in")
    if principal.user.is_operator:
        return
    member = repo.membership(db, merchant.id, principal.user.id)
    if member is None or member.role not in roles:
        raise Forbidden("you are not allowed to do that here", code="forbidden")


def allowed(
    db: Session, principal: Principal, merchant: Merchant, *, roles: tuple[str, ...], scope: str
) -> bool:
    """``authorize`` as a yes/no, for showing or hiding what the caller may not use."""
    try:
        authorize(db, principal, merchant, roles=roles, scope=scope)
    except AppError:
        return False
    return True


def get_merchant(db: Session, slug: str, *, for_update: bool = False) -> Merchant:
    """The merchant; ``for_update`` locks its row (see ``lock_merchant``)."""
    merchant = repo.merchant_by_slug(db, slug)
    if merchant is None:
        raise NotFound("no such merchant", code="merchant_not_found")
    return lock_merchant(db, merchant) if for_update else merchant


def lock_merchant(db: Session, merchant: Merchant) -> Merchant:
    """Lock the merchant's row: every change to its team queues behind this one.

    Membership rules ("a merchant keeps an owner") read several rows that a concurrent
    change could alter; the merchant row is the one lock they all take first.
    """
    locked = get_for_update(db, Merchant, merchant.id)
    if locked is None:
        raise NotFound("no such merchant", code="merchant_not_found")
    return locked


def create_merchant(db: Session, owner: User, slug: str, name: str) -> Merchant:
    if repo.merchant_by_slug(db, slug) is not None:
        raise Conflict("that merchant id is taken", code="slug_taken")
    merchant = Merchant(slug=slug, name=name)
    db.add(merchant)
    try:
        db.flush()
    except IntegrityError:  # a concurrent creation won: the unique constraint decides
        raise Conflict("that merchant id is taken", code="slug_taken") from None
    db.add(Membership(merchant_id=merchant.id, user_id=owner.id, role="owner"))
    db.flush()
    return merchant


def set_member(db: Session, merchant: Merchant, username: str, role: str) -> Membership:
    merchant = lock_merchant(db, merchant)
    user = id_repo.user_by_username(db, username)
    if user is None:
        raise NotFound("no such user", code="user_not_found")
    member = repo.membership(db, merchant.id, user.id)
    if member is None:
        member = Membership(merchant_id=merchant.id, user_id=user.id, role=role)
        db.add(member)
    else:
        if role != "owner":
            _check_not_last_owner(db, member)
        member.role = role
    db.flush()
    return member


def remove_member(db: Session, merchant: Merchant, username: str) -> None:
    merchant = lock_merchant(db, merchant)
    user = id_repo.user_by_username(db, username)
    member = repo.membership(db, merchant.id, user.id) if user else None
    if member is None:
        raise NotFound("not a member", code="member_not_found")
    _check_not_last_owner(db, member)
    db.delete(member)
    db.flush()


def _check_not_last_owner(db: Session, member: Membership) -> None:
    """Someone must always be able to manage the merchant (call under its row lock)."""
    if member.role == "owner" and repo.owner_count(db, member.merchant_id) <= 1:
        raise Conflict("a merchant keeps at least one owner", code="last_owner")


def create_api_key(
    db: Session, merchant: Merchant, name: str, scopes: list[str]
) -> tuple[MerchantApiKey, str]:
    """A new key and its secret; only the secret's hash is kept, so it is shown once."""
    secret = new_secret(MERCHANT_KEY_PREFIX)
    key = MerchantApiKey(
        merchant_id=merchant.id,
        name=name,
        prefix=secret[:10],
        key_hash=hash_secret(secret),
        scopes=" ".join(sorted(set(scopes))),
    )
    db.add(key)
    db.flush()
    return key, secret


def revoke_api_key(db: Session, merchant: Merchant, key_id: int) -> MerchantApiKey:
    key = repo.api_key_by_id(db, key_id)
    if key is None or key.merchant_id != merchant.id:
        raise NotFound("no such key", code="key_not_found")
    key.revoked_at = key.revoked_at or utcnow()
    return key

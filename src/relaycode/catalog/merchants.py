"""Merchants, their members and roles, and their scoped API keys."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaycode.db.base import is_db_id, utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import Conflict, NotFound
from relaycode.identity import repository as repo
from relaycode.identity.tokens import MERCHANT_KEY_PREFIX, hash_secret, new_secret
from relaycode.models import Membership, Merchant, MerchantApiKey, User


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
    except IntegrityError:
        raise Conflict("that merchant id is taken", code="slug_taken") from None
    db.add(Membership(merchant_id=merchant.id, user_id=owner.id, role="owner"))
    db.flush()
    return merchant


def set_member(db: Session, merchant: Merchant, username: str, role: str) -> Membership:
    merchant = lock_merchant(db, merchant)
    user = repo.user_by_username(db, username)
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


def _check_not_last_owner(db: Session, member: Membership) -> None:
    """Someone must always be able to manage the merchant."""
    if member.role != "owner":
        return
    owners = [u for u, role in repo.members_of(db, member.merchant_id) if role == "owner"]
    if len(owners) <= 1:
        raise Conflict("a merchant keeps at least one owner", code="last_owner")


def remove_member(db: Session, merchant: Merchant, username: str) -> None:
    merchant = lock_merchant(db, merchant)
    user = repo.user_by_username(db, username)
    member = repo.membership(db, merchant.id, user.id) if user else None
    if member is None:
        raise NotFound("not a member", code="member_not_found")
    _check_not_last_owner(db, member)
    db.delete(member)
    db.flush()


def create_api_key(
    db: Session, merchant: Merchant, name: str, scopes: list[str]
) -> tuple[MerchantApiKey, str]:
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
    key = db.get(MerchantApiKey, key_id) if is_db_id(key_id) else None
    if key is None or key.merchant_id != merchant.id:
        raise NotFound("no such key", code="key_not_found")
    key.revoked_at = key.revoked_at or utcnow()
    return key

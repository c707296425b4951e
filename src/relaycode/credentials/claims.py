"""Claiming (Figs. 7, 8): the bound holder scans item code 61 and gets credential 62.

Lock, check, then do: the item's row is locked before its ``credential_id`` is read, so
two claims racing make one credential. Claiming again answers the same credential.
Anyone but the bound holder gets 403 ``not_holder`` and learns nothing of who it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.credentials import notices
from relaycode.credentials import repository as repo
from relaycode.credentials.holders import normalize_phone
from relaycode.credentials.presentation import invalid, our_code
from relaycode.credentials.service import audit, get_credential, new_code, new_credential_id
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update, get_many_for_update
from relaycode.errors import Forbidden, NotFound
from relaycode.models import Credential, CredentialItem, CredentialTemplate, User


@dataclass(frozen=True)
class Claimed:
    credential: Credential
    created: bool  # False: claimed before, the same credential again


def claim(
    db: Session,
    settings: Settings,
    keyring: Keyring,
    user: User,
    text: str,
    *,
    device_id: int | None = None,
) -> Claimed:
    code = our_code(db, settings, keyring, text)
    if code.kind != "credential_item":
        raise invalid("not_claimable", "this code is not an item to claim")
    found = repo.item_by_code(db, code.id)
    item = get_for_update(db, CredentialItem, found.id) if found is not None else None
    if item is None:
        raise NotFound("this code is not registered here", code="unknown_code")
    if item.holder_user_id != user.id:
        raise Forbidden("this item is bound to someone else", code="not_holder")
    if item.credential_id is not None:
        return Claimed(get_credential(db, item.credential_id), created=False)
    template = db.get(CredentialTemplate, item.template_id)
    assert template is not None
    credential = _credential_for(db, keyring, item, template, user, device_id)
    item.status, item.credential_id, item.claimed_at = "claimed", credential.id, utcnow()
    audit(db, item.merchant_id, "claimed", credential_id=credential.id, item_id=item.id,
          actor=user, device_id=device_id)  # fmt: skip
    notices.claimed(db, credential)
    return Claimed(credential, created=True)


def _credential_for(
    db: Session,
    keyring: Keyring,
    item: CredentialItem,
    template: CredentialTemplate,
    user: User,
    device_id: int | None,
) -> Credential:
    uses = {"single": 1, "count": template.max_uses}.get(template.use_mode)
    code = new_code(db, keyring, "credential", item.valid_until)
    credential = Credential(
        id=new_credential_id(), template_id=template.id, merchant_id=item.merchant_id,
        item_id=item.id, code_id=code.id, holder_user_id=user.id, device_id=device_id,
        generation=0, status="active", uses_left=uses,
        balance_minor=item.amount_minor if template.use_mode == "balance" else None,
        currency=template.currency, valid_from=item.valid_from, valid_until=item.valid_until,
    )  # fmt: skip
    db.add(credential)
    db.flush()
    return credential


def bind_pending(db: Session, user: User) -> int:
    """Give ``user`` what waits for their (just verified) phone number: items to claim
    and credentials endorsed to the number. The phone slice calls it as an
    ``on_phone_verified`` hook. Rows are locked in id order; returns how many bound."""
    if user.phone is None or user.phone_verified_at is None:
        return 0
    digits = normalize_phone(user.phone)
    if digits is None:
        return 0
    bound = 0
    for item in get_many_for_update(db, CredentialItem, repo.pending_items(db, digits)):
        if item.status == "pending" and item.holder_phone == digits:
            item.holder_user_id, item.status = user.id, "issued"
            audit(db, item.merchant_id, "bound", item_id=item.id, actor=user)
            bound += 1
    for c in get_many_for_update(db, Credential, repo.pending_credentials(db, digits)):
        if c.holder_user_id is None and c.holder_phone == digits:
            c.holder_user_id = user.id
            audit(db, c.merchant_id, "bound", credential_id=c.id, actor=user)
            bound += 1
    db.flush()
    return bound


def on_phone_verified(db: Session, user: User) -> None:
    """The hook the phone slice calls once a user's number is verified."""
    bind_pending(db, user)

"""Endorsing (Figs. 7, 9): the holder names the next holder, who gets a new credential.

One transaction, lock then check then do: the old credential's row is locked (and re-
read), then holder, state, transferability and the endorsement count are checked, then
generation + 1 is made for the new holder, the old one is revoked (reason "endorsed",
in the revocation list) and the endorsement recorded. A redeem racing it locks the same
row first, so either the redeem wins (the old one is used up: 409 here) or the
endorsement does (the redeem is refused ``revoked``). Lock order: the credential item,
the credential, then the revocation counter (an offline upload locks items, then
credentials: offline_lineage.py).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.credentials import notices
from relaycode.credentials.holders import resolve_holder
from relaycode.credentials.revocation import mark_revoked
from relaycode.credentials.service import (
    audit,
    check_holder,
    effective_status,
    get_credential,
    new_code,
    new_credential_id,
)
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import Conflict, InvalidInput
from relaycode.models import (
    Credential,
    CredentialEndorsement,
    CredentialItem,
    CredentialTemplate,
    User,
)


def endorse(db: Session, keyring: Keyring, user: User, credential_id: str, to: str) -> Credential:
    found = get_credential(db, credential_id)
    # The item first (an offline upload locks item, then lineage): no generation is
    # added to a lineage an upload has locked, and the two never deadlock.
    get_for_update(db, CredentialItem, found.item_id)
    old = get_for_update(db, Credential, found.id)
    assert old is not None
    check_holder(old, user)
    template = db.get(CredentialTemplate, old.template_id)
    assert template is not None
    if effective_status(old, utcnow()) != "active":
        raise Conflict("this credential is no longer active", code="credential_not_active")
    if not template.transferable:
        raise Conflict("the issuer does not allow endorsing this", code="not_transferable")
    if old.generation >= template.max_endorsements:
        raise Conflict("it was endorsed as often as allowed", code="endorsements_exhausted")
    holder = resolve_holder(db, to)
    if holder.user is not None and holder.user.id == user.id:
        raise InvalidInput("you hold it already", code="endorse_to_self")
    code = new_code(db, keyring, "credential", old.valid_until)
    new = Credential(
        id=new_credential_id(), template_id=old.template_id, merchant_id=old.merchant_id,
        item_id=old.item_id, code_id=code.id,
        holder_user_id=holder.user.id if holder.user else None, holder_phone=holder.phone,
        generation=old.generation + 1, parent_id=old.id, status="active",
        uses_left=old.uses_left, balance_minor=old.balance_minor, currency=old.currency,
        valid_from=old.valid_from, valid_until=old.valid_until,
    )  # fmt: skip
    db.add(new)
    db.flush()
    mark_revoked(db, old, status="endorsed", reason="endorsed", actor=user)
    db.add(
        CredentialEndorsement(
            from_credential_id=old.id,
            to_credential_id=new.id,
            from_user_id=user.id,
            to_user_id=holder.user.id if holder.user else None,
            to_label=holder.named_as,
        )
    )
    audit(db, old.merchant_id, "endorsed", credential_id=old.id, actor=user,
          to_credential_id=new.id, pending=holder.user is None)  # fmt: skip
    notices.endorsed(db, old, new, template)
    db.flush()
    return new

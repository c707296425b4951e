"""What credential events tell people (inbox) and merchants' systems (webhooks)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from relaycode.models import Credential, CredentialRedemption, CredentialTemplate
from relaycode.notify.service import emit, notify_user


def _data(c: Credential) -> dict[str, object]:
    # Ids only: a merchant's webhook receives no holder's name or phone number.
    return {
        "credential_id": c.id,
        "template_id": c.template_id,
        "generation": c.generation,
        "parent_id": c.parent_id,
    }


def endorsed(db: Session, old: Credential, new: Credential, template: CredentialTemplate) -> None:
    url = "/me/credentials"
    if old.holder_user_id is not None:
        notify_user(db, old.holder_user_id, "credential_endorsed",
                    {"offer_title": template.name, "url": url},
                    dedupe_key=f"credential_endorsed:{old.id}")  # fmt: skip
    if new.holder_user_id is not None:
        notify_user(db, new.holder_user_id, "credential_received",
                    {"offer_title": template.name, "url": url},
                    dedupe_key=f"credential_received:{new.id}")  # fmt: skip
    emit(db, merchant_id=old.merchant_id, event_type="credential.endorsed",
         data={**_data(new), "from_credential_id": old.id},
         event_id=f"credential.endorsed.{new.id}")  # fmt: skip


def used_before_endorsement(
    db: Session, c: Credential, tip: Credential, r: CredentialRedemption
) -> None:
    """An offline use of ``c`` made before it was endorsed came off the newest generation
    (offline_lineage.py): its holder, who may have taken the bill since, is told it has
    less left, or nothing."""
    if tip.holder_user_id is None or tip.id == c.id:
        return
    template = db.get(CredentialTemplate, tip.template_id)
    notify_user(db, tip.holder_user_id, "credential_used_earlier",
                {"offer_title": template.name if template else None,
                 "url": f"/me/credentials/{tip.id}"},
                dedupe_key=f"credential_used_earlier:{r.id}")  # fmt: skip


def redeemed(db: Session, c: Credential, r: CredentialRedemption) -> None:
    emit(db, merchant_id=c.merchant_id, event_type="credential.redeemed",
         data={**_data(c), "redemption_id": r.id, "amount_minor": r.amount_minor,
               "uses_left": r.uses_left, "balance_minor": r.balance_minor,
               "currency": c.currency, "station": r.station},
         event_id=f"credential.redeemed.{r.id}")  # fmt: skip


def revoked(db: Session, c: Credential, reason: str) -> None:
    emit(db, merchant_id=c.merchant_id, event_type="credential.revoked",
         data={**_data(c), "reason": reason}, event_id=f"credential.revoked.{c.id}")  # fmt: skip


def claimed(db: Session, c: Credential) -> None:
    emit(db, merchant_id=c.merchant_id, event_type="credential.claimed", data=_data(c),
         event_id=f"credential.claimed.{c.id}")  # fmt: skip

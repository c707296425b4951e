"""Revocation: by the issuer, or by an endorsement; and the versioned list verifiers sync.

Every revocation takes the next version of one counter row, under that row's lock, so
versions are handed out in commit order: a verifier that synced up to N and asks
``since=N`` later never misses one. Lock order: the credential, then the counter.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaycode.credentials import notices
from relaycode.credentials import repository as repo
from relaycode.credentials.service import audit, get_credential
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.models import Code, Credential, CredentialListVersion, CredentialRevocation, User

LIST = "revocations"


def _counter(db: Session) -> CredentialListVersion:
    row = get_for_update(db, CredentialListVersion, LIST)
    if row is None:
        try:
            with db.begin_nested():  # the first revocation ever (or of a fresh database)
                db.add(CredentialListVersion(name=LIST, version=0))
        except IntegrityError:
            pass  # made meanwhile by another transaction: lock that one
        row = get_for_update(db, CredentialListVersion, LIST)
    assert row is not None
    return row


def mark_revoked(
    db: Session, credential: Credential, *, status: str, reason: str, actor: User | None
) -> CredentialRevocation:
    """``credential`` (already locked by the caller) stops counting: its status, its
    code's status, and a row in the list under the next version."""
    counter = _counter(db)
    counter.version += 1
    credential.status, credential.updated_at = status, utcnow()
    code = db.get(Code, credential.code_id)
    if code is not None:
        code.status = "revoked"
    row = CredentialRevocation(
        credential_id=credential.id, merchant_id=credential.merchant_id, reason=reason,
        version=counter.version, actor_user_id=actor.id if actor else None,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row


def revoke(db: Session, credential_id: str, *, reason: str, actor: User | None) -> Credential:
    """The issuer withdraws a credential (idempotent: revoking it again changes nothing;
    an endorsed one is already off the list's good side)."""
    found = get_credential(db, credential_id)
    credential = get_for_update(db, Credential, found.id)
    assert credential is not None
    if credential.status in ("revoked", "endorsed"):
        return credential
    mark_revoked(db, credential, status="revoked", reason=reason, actor=actor)
    audit(db, credential.merchant_id, "revoked", credential_id=credential.id, actor=actor,
          reason=reason)  # fmt: skip
    notices.revoked(db, credential, reason)
    return credential


@dataclass(frozen=True)
class Delta:
    version: int
    revoked: list[CredentialRevocation]
    more: bool


def since(db: Session, version: int) -> Delta:
    """Revocations after ``version``, oldest first, at most REVOCATION_LIMIT of them."""
    rows = repo.revocations_since(db, version)
    more = len(rows) > repo.REVOCATION_LIMIT
    rows = rows[: repo.REVOCATION_LIMIT]
    if rows:
        return Delta(rows[-1].version, rows, more)
    current = db.get(CredentialListVersion, LIST)
    # The list's own version, even below ``version``: a client ahead of us (a restored
    # database) sees the number go back and syncs from 0.
    return Delta(current.version if current else 0, [], False)

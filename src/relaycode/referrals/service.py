"""Re-sharing (claim 1): a signed-in user turns an offer or share code into a child code
that carries them; sharers' reviews. Services flush but never commit.

Lineage is data: a share is a ``codes`` row of kind "share" whose ``parent_id`` is the
code it was made from, ``holder_user_id`` the sharer, ``depth`` one more than its
parent's, ``channel`` where it went and ``device_id`` the device it was made on. Its text
is an ordinary format-1 code (docs/code-format.md): nothing about the sharer is inside.

**One share per parent and sharer.** Sharing the same code again returns the share made
the first time (``created`` false), whatever the channel or device: a sharer has one
code per thing they pass on, so scans, reviews and commissions gather on it rather than
being spread over copies. Sharing a code one holds oneself returns that very code. A
withdrawn share no longer counts: sharing again then makes a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from relaycode.catalog.status import effective_status
from relaycode.codes import repository as code_repo
from relaycode.codes.keys import Keyring
from relaycode.codes.resolver import classify_text
from relaycode.codes.share_tokens import ShareToken
from relaycode.codes.tokens import new_code_id
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from relaycode.games import service as games
from relaycode.models import Code, Offer, ShareReview, User
from relaycode.referrals import offline
from relaycode.referrals import repository as repo

SHAREABLE_KINDS = offline.SHAREABLE_KINDS
# codes.depth is a SMALLINT; no chain gets near this in practice.
MAX_DEPTH = offline.MAX_DEPTH


class Gone(AppError):
    status = 410
    code = "gone"


@dataclass(frozen=True)
class Shared:
    code: Code
    created: bool  # False: an existing share (or the caller's own code) came back


def parent_for_text(db: Session, settings: Settings, keyring: Keyring, text: str) -> Code:
    """The code a scanned or pasted text names, for sharing; refused with a stable code
    when it names none of ours: ``foreign_code`` (a link elsewhere), ``not_a_code``
    (plain text, a product barcode), ``invalid_code`` (a code of ours that does not
    verify; ``details.reason`` says why) or ``unknown_code``."""
    c = classify_text(text, settings, keyring)
    if c.verdict == "foreign_url":
        raise InvalidInput("that is a link to another site, not a code of ours",
                           code="foreign_code", details={"host": c.host})  # fmt: skip
    if c.verdict == "ours_invalid":
        reason = c.reason or "malformed"
        raise InvalidInput("that code does not verify", code="invalid_code",
                           details={"reason": reason})  # fmt: skip
    if c.verdict != "ours" or c.token is None:
        raise InvalidInput("that is not a code of ours", code="not_a_code")
    code = code_repo.code_by_id(db, c.token.code_hex)
    if code is None and isinstance(c.token, ShareToken):
        # A phone-made share, re-shared before anyone resolved it: register it now (in
        # this transaction; refusals such as ``device_revoked`` are errors here).
        code = offline.register(db, c.token)
    if code is None:
        raise NotFound("this code is not registered here", code="unknown_code")
    return code


def share(
    db: Session,
    keyring: Keyring,
    *,
    parent: Code,
    sharer: User,
    device_id: int | None,
    channel: str | None,
) -> Shared:
    """``sharer``'s share of ``parent``: made now, or the one made before.

    Lock, check, then do: the offer's row and then the parent's are locked (parent
    before child, as everywhere) before anything is checked, so two requests sharing one
    parent for one sharer at once queue, and the second finds the first's share; and no
    share is born active on an offer archived a moment earlier. The unique index
    ``uq_codes_one_share`` backs the rule should anything bypass this function.
    """
    if parent.offer_id is None or parent.kind not in SHAREABLE_KINDS:
        raise InvalidInput("only an offer's codes and shares can be shared", code="not_shareable")
    offer = get_for_update(db, Offer, parent.offer_id)
    locked = get_for_update(db, Code, parent.id)
    if offer is None or locked is None:
        raise NotFound("this code is not registered here", code="unknown_code")
    now = utcnow()
    if locked.status == "revoked":
        raise Gone("this code was withdrawn by its issuer", code="code_revoked")
    if locked.status == "expired" or (locked.expires_at is not None and locked.expires_at <= now):
        raise Gone("this code has expired", code="code_expired")
    status = effective_status(offer, now)
    if status == "archived":
        raise Conflict("this offer was withdrawn; it cannot be shared", code="offer_archived")
    if status == "expired":
        raise Conflict("this offer has ended; it cannot be shared", code="offer_expired")
    if locked.holder_user_id == sharer.id:
        return Shared(locked, created=False)  # one's own share: pass it on as it is
    existing = repo.active_share(db, locked.id, sharer.id)
    if existing is not None:
        return Shared(existing, created=False)
    if locked.depth + 1 > MAX_DEPTH:
        raise Conflict("this chain of shares is too long", code="too_deep")
    # A combining game: the share adds the sharer's attribute, so they need one
    # (round robin deals it now; otherwise 409 no_attribute). The offer is locked.
    games.before_share(db, offer, sharer)
    kid, _secret = keyring.active_hmac()
    child = Code(
        id=new_code_id().hex(),
        kind="share",
        offer_id=offer.id,
        parent_id=locked.id,
        holder_user_id=sharer.id,
        device_id=device_id,
        depth=locked.depth + 1,
        channel=channel,
        status="active",
        key_id=kid,
        format_version=1,
        created_at=now,
        # A share lasts no longer than what it was made from.
        expires_at=locked.expires_at,
    )
    db.add(child)
    db.flush()
    return Shared(child, created=True)


def create_share(
    db: Session,
    keyring: Keyring,
    *,
    parent: Code,
    sharer: User,
    device_id: int | None,
    channel: str | None,
) -> Code:
    """``share`` for callers that need only the code."""
    return share(
        db, keyring, parent=parent, sharer=sharer, device_id=device_id, channel=channel
    ).code


def own_share(db: Session, code_id: str, user: User, *, lock: bool = False) -> Code:
    """A share held by ``user``; anyone else's code is ``not_your_share`` (403), no code
    ``code_not_found``."""
    code = (
        get_for_update(db, Code, code_id.lower())
        if lock and len(code_id) == 32
        else code_repo.code_by_id(db, code_id)
    )
    if code is None:
        raise NotFound("no such code", code="code_not_found")
    if code.kind != "share" or code.holder_user_id != user.id:
        raise Forbidden("only the sharer may review this share", code="not_your_share")
    return code


def set_review(db: Session, *, code_id: str, user: User, rating: int, text: str) -> ShareReview:
    """Write (or rewrite) the sharer's review of their share. The share's row is locked
    first, so two saves at once leave one review (the later one)."""
    code = own_share(db, code_id, user, lock=True)
    now = utcnow()
    review = repo.review_of(db, code.id)
    if review is None:
        review = ShareReview(code_id=code.id, user_id=user.id, created_at=now)
        db.add(review)
    review.rating = rating
    review.text = text.strip()
    review.updated_at = now
    db.flush()
    return review


def delete_review(db: Session, *, code_id: str, user: User) -> None:
    code = own_share(db, code_id, user, lock=True)
    review = repo.review_of(db, code.id)
    if review is not None:
        db.delete(review)
        db.flush()

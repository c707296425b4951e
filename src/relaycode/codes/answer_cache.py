"""A short-lived cache of serialised scan answers, keyed by the verified code id.

Only answers that depend on a code's row are kept, and only after the token's tag
verified on this very scan (the cache never saves the HMAC; it saves the lookup and
building the answer). How stale an answer may be:

- **In this process: never.** Every ORM write to a code, an offer or a merchant (revoke,
  withdraw, edit, status change, image, rename — whatever the endpoint), to a share's
  review, to a combining game's player, or to the name a sharer shows (a user's
  username or display name) is seen by the session hooks ``watch`` installs and drops
  the affected answers when the transaction commits. An ``epoch`` counter makes a read
  that raced with such a commit not store its (possibly old) answer.
- **Across instances (and the CLI): at most the TTL** (``RELAYCODE_SCAN_CACHE_TTL``,
  2 s by default, at most; 0 turns the cache off), as every entry expires on its own.
- **By the clock**: an entry never outlives the instant its answer changes by itself
  (the code expiring, the offer starting or ending).

Writes made with Core statements that bypass the ORM (``text("UPDATE codes …")``) are not
seen in-process; they become visible within the TTL, like another instance's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from relaycode.codes.answers import ScanFacts
from relaycode.codes.classify import Token
from relaycode.models import Code, GamePlayer, Merchant, Offer, ShareReview, User


@dataclass(frozen=True, slots=True)
class Scanned:
    """A scan's answer: the JSON body sent, and what the scan event records."""

    body: bytes
    facts: ScanFacts


@dataclass(frozen=True, slots=True)
class _Entry:
    scanned: Scanned
    token_body: str  # the kid and tag are part of what was verified
    offer_id: int | None
    expires: float


_ALL = "*"  # pending marker: drop everything (a merchant changed, a bulk statement ran)


class AnswerCache:
    def __init__(
        self,
        ttl: float = 2.0,
        *,
        max_entries: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: dict[bytes, _Entry] = {}
        self._lock = threading.Lock()  # invalidations come from worker threads
        self.epoch = 0

    def get(self, token: Token) -> Scanned | None:
        entry = self._entries.get(token.code_id)
        if entry is None or entry.token_body != token.body:
            return None
        if self._clock() >= entry.expires:
            return None
        return entry.scanned

    def put(
        self,
        token: Token,
        scanned: Scanned,
        offer_id: int | None,
        epoch: int,
        valid_for: float | None,
    ) -> None:
        """Store an answer read while ``self.epoch`` was ``epoch`` (else drop it)."""
        if self.ttl <= 0:
            return
        ttl = self.ttl if valid_for is None else min(self.ttl, valid_for)
        now = self._clock()
        entry = _Entry(scanned, token.body, offer_id, now + ttl)
        with self._lock:
            if epoch != self.epoch:
                return  # a write committed while we read: the answer may be old
            entries = self._entries
            entries.pop(token.code_id, None)  # re-inserted at the end: oldest first
            entries[token.code_id] = entry
            # Entries are (nearly) in expiry order: sweep a couple from the front.
            for _ in range(2):
                first = next(iter(entries))
                if entries[first].expires > now:
                    break
                del entries[first]
            if len(entries) > self._max:
                entries.clear()

    def invalidate(self, code_ids: set[str], offer_ids: set[int], everything: bool) -> None:
        with self._lock:
            self.epoch += 1
            if everything:
                self._entries.clear()
                return
            for hex_id in code_ids:
                self._entries.pop(bytes.fromhex(hex_id), None)
            if offer_ids:
                stale = [k for k, e in self._entries.items() if e.offer_id in offer_ids]
                for key in stale:
                    del self._entries[key]

    def clear(self) -> None:
        self.invalidate(set(), set(), True)

    def __len__(self) -> int:
        return len(self._entries)

    # -- seeing writes -------------------------------------------------------------------
    def watch(self, makers: sessionmaker[Session]) -> None:
        """Invalidate on every commit of a session ``makers`` makes that wrote a code,
        an offer, a merchant, a review or a sharer's name."""
        event.listen(makers, "after_flush", _note_flush)
        event.listen(makers, "do_orm_execute", _note_bulk)
        event.listen(makers, "after_commit", self._on_commit)
        event.listen(makers, "after_rollback", _forget)

    def _on_commit(self, session: Session) -> None:
        pending: set[Any] | None = session.info.pop(_KEY, None)
        if not pending:
            return
        codes = {k[1] for k in pending if isinstance(k, tuple) and k[0] == "code"}
        offers = {k[1] for k in pending if isinstance(k, tuple) and k[0] == "offer"}
        self.invalidate(codes, offers, _ALL in pending)


_KEY = "rc_answer_cache"


def _pending(session: Session) -> set[Any]:
    found: set[Any] = session.info.setdefault(_KEY, set())
    return found


def _note_flush(session: Session, _context: Any) -> None:
    pending = _pending(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Code):
            pending.add(("code", obj.id))
        elif isinstance(obj, Offer):
            pending.add(("offer", obj.id))
        elif isinstance(obj, ShareReview):
            pending.add(("code", obj.code_id))
        elif isinstance(obj, GamePlayer):
            # A player's attribute is in the composition of the game's codes.
            pending.add(("offer", obj.offer_id))
        elif isinstance(obj, Merchant):
            pending.add(_ALL)
        elif isinstance(obj, User) and obj not in session.new and _renamed(obj):
            pending.add(_ALL)  # rare: the answers of every code this user shared


def _renamed(user: User) -> bool:
    """A change to what scanners see of a sharer (a new account shows nowhere yet)."""
    attrs = inspect(user).attrs
    return attrs.username.history.has_changes() or attrs.display_name.history.has_changes()


def _note_bulk(state: ORMExecuteState) -> None:
    # update(Offer)… / delete(Code)… through the session: rows unknown, drop all.
    if (state.is_update or state.is_delete) and any(
        m.class_ in (Code, Offer, Merchant, ShareReview, User, GamePlayer)
        for m in state.all_mappers
    ):
        _pending(state.session).add(_ALL)


def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)

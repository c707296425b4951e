"""The one resolve core of ``POST /api/v1/scan``: text in, serialised answer out.

classify (the canonical shortcut first) → verify the tag → the cached answer, or one
read (SQLite inline on a held connection; PostgreSQL through the asyncio pool, the
lookups of concurrent scans coalesced) → the answer built as a dict and serialised once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from relaycode.codes.answer_cache import AnswerCache, Scanned
from relaycode.codes.answers import ScanFacts, answer_doc, valid_for
from relaycode.codes.canonical import canonical_prefix, classify_canonical
from relaycode.codes.classify import Classification, classify
from relaycode.codes.credential_check import credential_check
from relaycode.codes.keys import Keyring
from relaycode.codes.lookup import CoalescingCodeLookup
from relaycode.codes.repository import (
    BY_GTIN,
    PAYMENT,
    RESOLVE,
    GtinRow,
    PaymentRow,
    ResolveRow,
    wants_chain,
    wants_payment,
)
from relaycode.codes.share_tokens import ShareToken
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.db.raw import PgAsyncReader, RawReader
from relaycode.db.session import Database
from relaycode.games.repository import CHAIN

# Registers a phone-made code the first time it is resolved (referrals/offline.py):
# None once its row exists, else the refusal's (reason, message).
Register = Callable[[ShareToken], tuple[str, str] | None]


def classify_text(
    text: str, settings: Settings, keyring: Keyring, prefix: str | None = None
) -> Classification:
    """``classify``, with the shortcut for the spelling we print (codes/canonical.py)."""
    if prefix is None:
        prefix = canonical_prefix(settings.public_scheme, settings.public_host)
    fast = classify_canonical(text, prefix, keyring.hmac_key)
    check = credential_check(settings, keyring)
    return fast or classify(text, settings.our_hosts, keyring.hmac_key, check)


class Resolver:
    def __init__(
        self,
        settings: Settings,
        keyring: Keyring,
        db: Database,
        cache: AnswerCache,
        async_reader: PgAsyncReader | None = None,
        register: Register | None = None,
    ) -> None:
        self.settings = settings
        self.register = register
        self.cache = cache
        self._keyring = keyring
        self._db = db
        self._async = async_reader
        self._codes = CoalescingCodeLookup(async_reader) if async_reader is not None else None
        # Settings' properties parse the public URL on every call: once here.
        self._prefix = canonical_prefix(settings.public_scheme, settings.public_host)
        self._hosts = settings.our_hosts
        self._check = credential_check(settings, keyring)

    def classify(self, text: str) -> Classification:
        hmac_key = self._keyring.hmac_key
        fast = classify_canonical(text, self._prefix, hmac_key)
        return fast or classify(text, self._hosts, hmac_key, self._check)

    async def scan(self, text: str) -> Scanned:
        c = self.classify(text)
        token = c.token
        if c.verdict == "ours" and token is not None:
            hit = self.cache.get(token)
            if hit is not None:
                return hit
            epoch = self.cache.epoch
            row = await self._code_row(token.code_hex)
            if row is None and isinstance(token, ShareToken) and self.register is not None:
                # A phone-made code resolved for the first time: register it (a write, in
                # a worker thread; rare), then answer from its new row.
                refused = await run_in_threadpool(self.register, token)
                if refused is not None:
                    return self._answer(refused_as(refused), None, text, utcnow())
                epoch = self.cache.epoch
                row = await self._code_row(token.code_hex)
            if row is not None and wants_chain(row):
                row = replace(row, moves=await self._chain(token.code_hex))
            if row is not None and wants_payment(row):
                row = replace(row, payment=await self._payment(token.code_hex))
            now = utcnow()
            scanned = self._answer(c, row, text, now)
            offer_id = row.code.offer_id if row is not None else None
            self.cache.put(token, scanned, offer_id, epoch, valid_for(row, now))
            return scanned
        now = utcnow()
        gtin_row = await self._gtin_row(c.gtin, now) if c.verdict == "gtin" and c.gtin else None
        return self._answer(c, gtin_row, text, now)

    def _answer(
        self, c: Classification, row: ResolveRow | GtinRow | None, text: str, now: datetime
    ) -> Scanned:
        doc, _code = answer_doc(c, row, self.settings, self._keyring, text, now)
        return Scanned(to_json(doc), ScanFacts.of(doc))

    async def _code_row(self, code_hex: str) -> ResolveRow | None:
        if self._codes is not None:
            return await self._codes.get(code_hex)
        # SQLite: a WAL read by primary key takes microseconds and never waits for the
        # writer, so it is cheaper inline than a hop to a worker thread.
        return self._db.read_raw(lambda r: _first_code(r, code_hex))

    async def _chain(self, code_hex: str) -> tuple[str, ...]:
        """A combining game's code: the attributes along its chain (one more read)."""
        values = {"code_id": code_hex}
        if self._async is not None:
            found = await self._async.first(CHAIN, values)
        else:
            found = self._db.read_raw(lambda r: r.first(CHAIN, values))
        return found or ()

    async def _payment(self, code_hex: str) -> PaymentRow | None:
        """A shop's payment code: its payee and methods (one more read)."""
        values = {"code_id": code_hex}
        if self._async is not None:
            return await self._async.first(PAYMENT, values)
        return self._db.read_raw(lambda r: r.first(PAYMENT, values))

    async def _gtin_row(self, gtin: str, now: datetime) -> GtinRow | None:
        """The offer on sale now with this GTIN (never cached: read on every scan)."""
        values = {"gtin": gtin, "now": now}
        if self._async is not None:
            return await self._async.first(BY_GTIN, values)
        return self._db.read_raw(lambda r: r.first(BY_GTIN, values))


def refused_as(refused: tuple[str, str]) -> Classification:
    """A refused phone-made code, answered like any code of ours that does not verify."""
    return Classification("ours_invalid", reason=refused[0], message=refused[1])


def _first_code(reader: RawReader, code_hex: str) -> ResolveRow | None:
    return reader.first(RESOLVE, {"code_id": code_hex})

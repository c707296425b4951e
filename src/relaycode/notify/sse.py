"""The live event stream of ``GET /api/v1/me/events`` (Server-Sent Events).

What a stream sends (``text/event-stream``)::

    retry: 3000                      reconnect after 3 s if the connection drops
    event: hello  data: {"unread": 2, "last_id": 41}
    id: 42  event: inbox  data: {<the item, as GET /me/inbox gives it>, "unread": 3}
    event: unread data: {"unread": 0}     (items were marked read, on any page)
    : ping                           a heartbeat comment, every RELAYCODE_SSE_HEARTBEAT_SECONDS
    event: bye    data: {"reason": "shutdown" | "signed_out" | "reconnect"}

Each inbox item's id is its event id, so a browser that reconnects sends
``Last-Event-ID`` and receives exactly the items committed since (from the inbox
itself, not from memory: a restart or another instance loses nothing). Without it the
stream starts at the newest item. Every read is a short read-only transaction in a
worker thread; while waiting the stream holds no database connection.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive

from relaycode.db.base import utcnow
from relaycode.db.session import Database
from relaycode.identity import repository as id_repo
from relaycode.notify import repository as repo
from relaycode.notify.live import Broker, Subscription
from relaycode.notify.schemas import InboxItemOut

BATCH = 100
RETRY_MS = 3000


def event(name: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def last_event_id(value: str | None) -> int | None:
    """The id a reconnecting browser names, when it is one of ours."""
    if value is None or not value.strip().isdigit() or len(value.strip()) > 18:
        return None
    return int(value.strip())


@dataclass
class Batch:
    items: list[InboxItemOut] = field(default_factory=list)
    unread: int = 0
    latest: int = 0
    signed_in: bool = True


@dataclass
class Stream:
    db: Database
    broker: Broker
    sub: Subscription
    user_id: int
    session_id: int | None  # the sign-in this stream was opened with
    lang: str
    locale: str
    heartbeat: float
    max_seconds: float

    def _read(self, after: int | None) -> Batch:
        with self.db.read_transaction() as db:
            batch = Batch(unread=repo.unread_count(db, self.user_id))
            if self.session_id is not None:
                s = id_repo.session_by_id(db, self.session_id)
                now = utcnow()
                batch.signed_in = bool(
                    s is not None
                    and s.revoked_at is None
                    and (s.expires_at is None or s.expires_at > now)
                )
            if after is None:
                batch.latest = repo.latest_item_id(db, self.user_id)
            else:
                found = repo.items_after(db, self.user_id, after, BATCH)
                batch.items = [InboxItemOut.of(i, self.lang, self.locale) for i in found]
                batch.latest = found[-1].id if found else after
        return batch

    async def events(
        self, resume_after: int | None, receive: Receive | None = None
    ) -> AsyncIterator[str]:
        # Starlette does not watch for the client leaving while it streams (ASGI 2.4):
        # without this, a closed tab would hold its slot until the next heartbeat.
        watcher = asyncio.create_task(self._watch(receive)) if receive is not None else None
        try:
            async for chunk in self._events(resume_after):
                yield chunk
        finally:
            if watcher is not None:
                watcher.cancel()
            self.broker.unsubscribe(self.sub)

    async def _watch(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.sub.gone = True
                self.sub.wake()
                return

    async def _events(self, resume_after: int | None) -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n\n"
        first = await run_in_threadpool(self._read, None)
        last = first.latest if resume_after is None else min(resume_after, first.latest)
        unread = first.unread
        yield event("hello", {"unread": unread, "last_id": last})
        deadline = time.monotonic() + self.max_seconds
        woke = resume_after is not None  # a reconnect first sends what it missed
        while True:
            if not woke:
                remaining = deadline - time.monotonic()
                woke = await self.sub.wait(min(self.heartbeat, max(remaining, 0.0)))
            if self.sub.gone:
                return
            if self.sub.closed or self.broker.closed:
                yield event("bye", {"reason": "shutdown"})
                return
            if time.monotonic() >= deadline:
                yield event("bye", {"reason": "reconnect"})
                return
            batch = await run_in_threadpool(self._read, last)
            if not batch.signed_in:
                yield event("bye", {"reason": "signed_out"})
                return
            for item in batch.items:
                yield event("inbox", {**item.model_dump(mode="json"), "unread": batch.unread},
                            item.id)  # fmt: skip
            if batch.unread != unread and not batch.items:
                yield event("unread", {"unread": batch.unread})
            elif not woke:
                yield ": ping\n\n"
            unread, last = batch.unread, batch.latest
            woke = len(batch.items) == BATCH  # more to send at once

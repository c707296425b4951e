"""PostgreSQL: the code lookups of concurrent scans, coalesced into one query.

A cold read through psycopg's asyncio pool costs the event loop far more than the
indexed lookup costs PostgreSQL (the pool's checkout, the socket calls, waking the
waiter). Under load many scans wait for a lookup at the same moment, so the lookups
asked for during one turn of the event loop go out as one ``codes.id = ANY(:ids)``
statement (one prepared statement whatever the batch size), and each scan gets its own
row back. A lone scan waits for nothing but its own query; at most ``max_inflight``
batches run at once, and what arrives meanwhile joins the next one.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from relaycode.codes.repository import RESOLVE_MANY, ResolveRow
from relaycode.db.raw import AsyncReader


@dataclass
class _LoopState:
    pending: dict[str, list[asyncio.Future[ResolveRow | None]]] = field(default_factory=dict)
    scheduled: bool = False
    inflight: int = 0


class CoalescingCodeLookup:
    def __init__(self, reader: AsyncReader, *, max_batch: int = 256, max_inflight: int = 4) -> None:
        self._reader = reader
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        # Per event loop (test clients run one each); futures never cross loops.
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )

    async def get(self, code_hex: str) -> ResolveRow | None:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            state = self._states[loop] = _LoopState()
        fut: asyncio.Future[ResolveRow | None] = loop.create_future()
        state.pending.setdefault(code_hex, []).append(fut)
        self._schedule(loop, state)
        return await fut

    def _schedule(self, loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
        if not state.scheduled and state.pending and state.inflight < self._max_inflight:
            state.scheduled = True
            loop.call_soon(self._launch, loop, state)

    def _launch(self, loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
        state.scheduled = False
        if not state.pending or state.inflight >= self._max_inflight:
            return
        ids = list(state.pending)[: self._max_batch]
        batch = {i: state.pending.pop(i) for i in ids}
        state.inflight += 1
        task = loop.create_task(self._run(batch))
        task.add_done_callback(lambda _t: self._finished(loop, state))

    def _finished(self, loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
        state.inflight -= 1
        self._schedule(loop, state)

    async def _run(self, batch: dict[str, list[asyncio.Future[ResolveRow | None]]]) -> None:
        try:
            rows = await self._reader.all(RESOLVE_MANY, {"code_ids": list(batch)})
        except BaseException as exc:  # every waiter gets the error (or the cancellation)
            for waiters in batch.values():
                for fut in waiters:
                    if fut.done():
                        continue
                    if isinstance(exc, asyncio.CancelledError):
                        fut.cancel()
                    else:
                        fut.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        found = {row.code.id: row for row in rows}
        for code_id, waiters in batch.items():
            row = found.get(code_id)
            for fut in waiters:
                if not fut.done():  # a waiter whose request was cancelled
                    fut.set_result(row)

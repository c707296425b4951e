"""Write slots (db/write_slots.py): at most ``limit`` writable request sessions at once,
the others queued in the event loop; the default limit leaves threads and connections."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio.to_thread
from sqlalchemy import create_engine

from relaycode.db.engine import make_engine
from relaycode.db.write_slots import WriteSlots, default_limit


def test_no_more_than_the_limit_hold_a_slot_at_once() -> None:
    engine = create_engine("sqlite://")
    slots = WriteSlots(engine, 3)
    holding = 0
    most = 0

    async def writer() -> None:
        nonlocal holding, most
        async with slots.slot():
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.001)
            holding -= 1

    async def main() -> int:
        await asyncio.gather(*(writer() for _ in range(50)))
        return slots.waiting()

    assert asyncio.run(main()) == 0
    assert most == 3


def test_the_default_stays_below_threads_and_pool(tmp_path: Path) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path}/w.db")

    async def limits() -> tuple[int, int, int]:
        threads = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
        return threads, default_limit(sqlite), WriteSlots(sqlite).limit()

    threads, limit, again = asyncio.run(limits())
    assert 1 <= limit == again <= min(threads - 1, 16 - 1)
    sqlite.dispose()

"""Scan events: batched off the event loop, retried after a failed write, flushed on close,
and dropped (counted) only when the writer is behind by more than the cap."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from relaycode.codes import scanlog
from relaycode.codes.scanlog import ScanRecorder
from relaycode.db.base import utcnow
from relaycode.models import ScanEvent


def _event(i: int) -> dict[str, Any]:
    return {"code_id": None, "verdict": "text", "reason": None, "foreign_host": None,
            "source": "api", "user_id": None, "device_id": None, "user_agent": f"ua-{i}",
            "is_bot": False, "created_at": utcnow()}  # fmt: skip


def _stored(app: Any) -> list[str]:
    with app.state.rc.db.transaction() as db:
        return list(db.scalars(select(ScanEvent.user_agent).order_by(ScanEvent.id)))


def test_failed_write_keeps_the_events_in_order(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    db = app.state.rc.db
    recorder = ScanRecorder(db, interval=3600)  # flushed by hand here
    for i in range(3):
        recorder.record(_event(i))
    real_begin = db.engine.begin

    def broken() -> Any:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(db.engine, "begin", broken)
    with pytest.raises(OperationalError):
        recorder.flush()
    recorder.record(_event(3))
    assert recorder.pending() == 4
    monkeypatch.setattr(db.engine, "begin", real_begin)
    assert recorder.flush() == 4
    assert _stored(app) == ["ua-0", "ua-1", "ua-2", "ua-3"]
    recorder.close()


def test_a_full_buffer_is_handed_to_the_writer_thread(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    writers: list[str] = []
    real_insert = scanlog._insert_batch

    def insert(conn: Any, batch: Any) -> None:
        writers.append(threading.current_thread().name)
        real_insert(conn, batch)

    monkeypatch.setattr(scanlog, "_insert_batch", insert)
    flushed = threading.Event()
    # The interval never elapses here: only a full buffer can wake the writer.
    recorder = ScanRecorder(app.state.rc.db, interval=3600, max_buffer=5)
    recorder.on_flush = lambda n: flushed.set()
    for i in range(5):
        recorder.record(_event(i))
    assert flushed.wait(timeout=10)
    assert writers == ["scan-recorder"]  # never the caller (the event loop)
    assert len(_stored(app)) == 5
    recorder.close()


def test_a_writer_behind_drops_and_counts_instead_of_blocking(
    app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    entered, release = threading.Event(), threading.Event()
    real_insert = scanlog._insert_batch

    def slow_insert(conn: Any, batch: Any) -> None:
        entered.set()
        release.wait(timeout=10)  # a database that has stalled
        real_insert(conn, batch)

    monkeypatch.setattr(scanlog, "_insert_batch", slow_insert)
    recorder = ScanRecorder(app.state.rc.db, interval=3600, max_buffer=2, max_pending=4)
    recorder.record(_event(0))
    recorder.record(_event(1))  # full: the writer takes these two and stalls
    assert entered.wait(timeout=10)

    def burst() -> None:
        for i in range(2, 8):
            recorder.record(_event(i))

    caller = threading.Thread(target=burst)
    try:
        with caplog.at_level(logging.WARNING, logger="relaycode.scanlog"):
            caller.start()
            caller.join(timeout=10)
        assert not caller.is_alive()  # the caller never waited for the stalled writer
        assert (recorder.pending(), recorder.dropped) == (4, 2)
        assert "scan event writer is behind: 1 events dropped" in caplog.text  # once, not twice
        assert caplog.text.count("events dropped") == 1
    finally:
        release.set()
        recorder.close()
    assert _stored(app) == [f"ua-{i}" for i in range(6)]


def test_timestamps_are_stored_exactly(app: Any) -> None:
    recorder = ScanRecorder(app.state.rc.db, interval=3600)
    times = [
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    ]
    for i, when in enumerate(times):
        recorder.record({**_event(i), "created_at": when})
    recorder.close()
    with app.state.rc.db.transaction() as db:
        stored = list(db.scalars(select(ScanEvent.created_at).order_by(ScanEvent.id)))
    assert stored == times and all(t.tzinfo is not None for t in stored)


def test_the_writer_thread_flushes_on_its_own(app: Any) -> None:
    flushed = threading.Event()
    recorder = ScanRecorder(app.state.rc.db, interval=0.05)
    recorder.on_flush = lambda n: flushed.set()
    recorder.record(_event(0))
    assert flushed.wait(timeout=10)
    with app.state.rc.db.transaction() as db:
        assert db.scalar(select(func.count()).select_from(ScanEvent)) == 1
    recorder.close()

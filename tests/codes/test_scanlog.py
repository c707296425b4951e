"""Scan events: batched, retried after a failed write, flushed on close, never dropped."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from relaycode.codes.scanlog import ScanRecorder
from relaycode.db.base import utcnow
from relaycode.models import ScanEvent


def _event(i: int) -> dict[str, Any]:
    return {"code_id": None, "verdict": "text", "reason": None, "foreign_host": None,
            "source": "api", "user_id": None, "device_id": None, "user_agent": f"ua-{i}",
            "created_at": utcnow()}  # fmt: skip


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


def test_a_full_buffer_is_written_by_the_caller(app: Any) -> None:
    recorder = ScanRecorder(app.state.rc.db, interval=3600, max_buffer=5)
    for i in range(12):
        recorder.record(_event(i))
    assert recorder.pending() == 2  # two synchronous flushes of 5
    recorder.close()  # and the rest on close
    assert len(_stored(app)) == 12
    with app.state.rc.db.transaction() as db:
        first = db.scalars(select(ScanEvent).order_by(ScanEvent.id)).first()
    assert first is not None and first.created_at.tzinfo is not None
    assert abs((utcnow() - first.created_at).total_seconds()) < 60


def test_the_writer_thread_flushes_on_its_own(app: Any) -> None:
    import threading

    flushed = threading.Event()
    recorder = ScanRecorder(app.state.rc.db, interval=0.05)
    recorder.on_flush = lambda n: flushed.set()
    recorder.record(_event(0))
    assert flushed.wait(timeout=10)
    with app.state.rc.db.transaction() as db:
        assert db.scalar(select(func.count()).select_from(ScanEvent)) == 1
    recorder.close()

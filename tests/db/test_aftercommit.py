"""Jobs after commit run once the transaction commits, never after a rollback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from relaycode.db.aftercommit import after_commit, pending_jobs
from relaycode.db.engine import make_engine
from relaycode.db.session import Database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url))
    yield database
    database.dispose()


def _touch(s: Session) -> None:
    s.execute(text("SELECT 1"))


def test_runs_after_commit_in_order(db: Database) -> None:
    ran: list[str] = []
    with db.transaction() as s:
        after_commit(s, lambda: ran.append("a"))
        after_commit(s, lambda: ran.append("b"))
        _touch(s)
        assert ran == [] and pending_jobs(s) == 2  # not before the commit
    assert ran == ["a", "b"]


def test_dropped_on_rollback_and_on_close(db: Database) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), db.transaction() as s:
        after_commit(s, lambda: ran.append("rolled back"))
        raise RuntimeError("boom")
    s = db.sessionmaker()
    after_commit(s, lambda: ran.append("closed"))
    s.close()
    s.begin()
    s.commit()  # a later transaction of the same session does not run it
    s.close()
    assert ran == []


def test_savepoints(db: Database) -> None:
    ran: list[str] = []
    with db.transaction() as s:
        after_commit(s, lambda: ran.append("outer"))
        sp = s.begin_nested()
        after_commit(s, lambda: ran.append("rolled back savepoint"))
        sp.rollback()
        with s.begin_nested():
            after_commit(s, lambda: ran.append("released savepoint"))
        assert ran == []  # a released savepoint is not a commit
    assert ran == ["outer", "released savepoint"]


def test_a_failing_job_does_not_stop_the_others_or_the_commit(db: Database) -> None:
    ran: list[str] = []
    with db.transaction() as s:
        after_commit(s, lambda: 1 / 0)
        after_commit(s, lambda: ran.append("second"))
    assert ran == ["second"]


def test_commit_then_the_change_is_visible_to_the_job(db: Database) -> None:
    """A job reading through another connection sees the committed row."""
    seen: list[int] = []

    def look() -> None:
        with db.read_transaction() as r:
            seen.append(int(r.execute(text("SELECT count(*) FROM flashes_shown")).scalar_one()))

    with db.transaction() as s:
        s.execute(
            text("INSERT INTO flashes_shown (id, expires_at) VALUES (:i, :e)"),
            {"i": "a" * 32, "e": "2099-01-01 00:00:00"},
        )
        after_commit(s, look)
    assert seen == [1]
    with db.transaction() as s:
        s.execute(text("DELETE FROM flashes_shown"))

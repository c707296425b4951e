"""The live event stream, against a real server: pushes after commit, resume with
Last-Event-ID, the per-user limit, sign-out and shutdown."""

from __future__ import annotations

import time
from typing import Any

import httpx
from helpers import auth, register
from live import live_app
from notify_support import SSE
from sqlalchemy import event

from relaycode.config import Settings
from relaycode.identity import repository as id_repo
from relaycode.notify.service import notify_user


def _uid(app: Any, name: str) -> int:
    with app.state.rc.db.read_transaction() as db:
        user = id_repo.user_by_username(db, name)
        assert user is not None
        return user.id


def test_items_arrive_live_and_resume_with_last_event_id(fast_settings: Settings) -> None:
    with live_app(fast_settings) as (url, app), httpx.Client(base_url=url) as c:
        token = register(c, "alice")
        stream = SSE(url, token)
        try:
            hello = stream.next("hello")
            assert hello.data == {"unread": 0, "last_id": 0}
            r = c.post("/api/v1/me/inbox/test", json={"message": "one"}, headers=auth(token))
            first = stream.next("inbox", timeout=5)
            assert first.id == str(r.json()["id"]) and first.data["unread"] == 1
            assert first.data["kind"] == "test" and "one" in first.data["body"]
            c.post("/api/v1/me/inbox/read", json={"all": True}, headers=auth(token))
            assert stream.next("unread", timeout=5).data == {"unread": 0}
        finally:
            stream.close()
        # Offline meanwhile: two more, made by another part of the system.
        with app.state.rc.db.transaction() as db:
            missed = [
                notify_user(db, _uid(app, "alice"), "test", {"message": m}).id
                for m in ("two", "three")
            ]
        again = SSE(url, token, {"Last-Event-ID": first.id})
        try:
            assert again.next("hello").data["unread"] == 2
            assert [again.next("inbox").id, again.next("inbox").id] == [str(i) for i in missed]
        finally:
            again.close()


def test_a_rolled_back_notification_is_never_pushed(fast_settings: Settings) -> None:
    with live_app(fast_settings) as (url, app), httpx.Client(base_url=url) as c:
        token = register(c, "alice")
        stream = SSE(url, token)
        try:
            stream.next("hello")
            uid = _uid(app, "alice")
            try:
                with app.state.rc.db.transaction() as db:
                    notify_user(db, uid, "test", {"message": "never"})
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
            with app.state.rc.db.transaction() as db:
                kept = notify_user(db, uid, "test", {"message": "kept"}).id
            got = stream.next("inbox", timeout=5)
            assert got.id == str(kept)  # the first item it sees is the committed one
        finally:
            stream.close()


def test_streams_read_only(fast_settings: Settings) -> None:
    """While a stream waits and reads, it opens no writable transaction."""
    with live_app(fast_settings) as (url, app), httpx.Client(base_url=url) as c:
        token = register(c, "alice")
        writes: list[int] = []
        makers = app.state.rc.db.sessionmaker
        listener = lambda *_a: writes.append(1)  # noqa: E731
        event.listen(makers, "after_begin", listener)
        try:
            stream = SSE(url, token)
            stream.next("hello")
            time.sleep(1.2)  # two heartbeats: each re-reads the inbox
        finally:
            event.remove(makers, "after_begin", listener)
            stream.close()
        assert writes == []


def test_a_bounded_number_of_streams_per_user(fast_settings: Settings) -> None:
    settings = fast_settings.model_copy(update={"sse_max_per_user": 2})
    with live_app(settings) as (url, app), httpx.Client(base_url=url) as c:
        token, other = register(c, "alice"), register(c, "bob")
        open_ = [SSE(url, token), SSE(url, token)]
        try:
            for s in open_:
                s.next("hello")
            third = SSE(url, token)
            assert third.status == 429
            assert '"too_many_streams"' in third.body
            bobs = SSE(url, other)  # another account is not affected
            assert bobs.status == 200
            bobs.close()
            open_[0].close()
            broker = app.state.notify.broker
            for _ in range(50):
                if broker.streams(_uid(app, "alice")) < 2:
                    break
                time.sleep(0.1)
            fourth = SSE(url, token)
            assert fourth.status == 200
            fourth.close()
        finally:
            for s in open_:
                s.close()
        assert c.get("/api/v1/me/events").status_code == 401


def test_signing_out_ends_the_stream(fast_settings: Settings) -> None:
    with live_app(fast_settings) as (url, _app), httpx.Client(base_url=url) as c:
        token = register(c, "alice")
        stream = SSE(url, token)
        try:
            stream.next("hello")
            assert c.post("/api/v1/auth/logout", headers=auth(token)).status_code < 300
            assert stream.next("bye", timeout=5).data == {"reason": "signed_out"}
            assert stream.ended()
        finally:
            stream.close()


def test_shutdown_says_goodbye(fast_settings: Settings) -> None:
    with live_app(fast_settings) as (url, app), httpx.Client(base_url=url) as c:
        token = register(c, "alice")
        stream = SSE(url, token)
        stream.next("hello")
        app.state.notify.broker.close()  # what SIGTERM does in `relaycode serve`
        assert stream.next("bye", timeout=5).data == {"reason": "shutdown"}
        assert stream.ended()
        stream.close()

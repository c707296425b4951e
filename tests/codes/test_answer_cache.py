"""The scan answer cache: every write is seen at once in-process, another instance's within
the TTL, the clock caps an entry's life, and a read that raced a write stores nothing."""

from __future__ import annotations

import dataclasses
import io
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register
from PIL import Image
from sqlalchemy import update

from relaycode.app import create_app
from relaycode.codes.answer_cache import AnswerCache, Scanned
from relaycode.codes.answers import ScanFacts, valid_for
from relaycode.codes.repository import CodeRow, ResolveRow
from relaycode.codes.tokens import OnlineToken
from relaycode.config import Settings
from relaycode.models import Code, Merchant


def _scan(client: TestClient, text: str) -> dict[str, Any]:
    r = client.post("/api/v1/scan", json={"text": text})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buf, "PNG")
    return buf.getvalue()


def test_every_write_is_seen_by_the_next_scan(client: TestClient, app: Any) -> None:
    state = app.state.rc
    cache = state.resolver.cache
    cache.ttl = 3600.0  # so only invalidation, never expiry, can refresh an answer
    owner = register(client)
    offer = merchant_with_offer(client, owner)
    oid, h = offer["id"], auth(owner)
    text, other = issue(client, owner, oid), issue(client, owner, oid)
    first = client.post("/api/v1/scan", json={"text": text}).content
    assert len(cache) == 1 and client.post("/api/v1/scan", json={"text": text}).content == first

    def db_write(fn: Callable[[Any], Any]) -> None:
        with state.db.transaction() as db:  # any ORM write, e.g. the CLI's or a service's
            fn(db)

    def revoke() -> Any:
        code_id = _scan(client, text)["code"]["id"]
        return client.post(f"/api/v1/codes/{code_id}/revoke", headers=h)

    steps: list[tuple[str, Callable[[], Any], Callable[[dict[str, Any]], bool]]] = [
        ("edit", lambda: client.patch(f"/api/v1/offers/{oid}", json={"title": "New"}, headers=h),
         lambda b: b["offer"]["title"] == "New"),
        ("image", lambda: client.put(f"/api/v1/offers/{oid}/image", content=_png(), headers=h),
         lambda b: (b["offer"]["image_url"] or "").startswith("/media/")),
        ("pause", lambda: client.post(f"/api/v1/offers/{oid}/pause", headers=h),
         lambda b: b["offer"]["status"] == "paused"),
        ("activate", lambda: client.post(f"/api/v1/offers/{oid}/activate", headers=h),
         lambda b: b["offer"]["status"] == "active"),
        ("merchant", lambda: db_write(lambda db: setattr(db.get(Merchant, 1), "name", "Shop 2")),
         lambda b: b["offer"]["merchant"] == "Shop 2"),
        ("bulk", lambda: db_write(lambda db: db.execute(update(Code).values(channel="bulk"))),
         lambda b: b["code"]["channel"] == "bulk"),
        ("revoke", revoke,
         lambda b: b["reason"] == "revoked"),
    ]  # fmt: skip
    for name, write, seen in steps:
        assert not seen(_scan(client, text)), name  # cached, and not yet changed
        result = write()
        assert result is None or result.status_code == 200, (name, result.text)
        assert seen(_scan(client, text)), name
    # Bulk withdrawal, and archiving the offer, revoke codes too.
    third = issue(client, owner, oid)
    third_id = _scan(client, third)["code"]["id"]
    r = client.post(f"/api/v1/offers/{oid}/codes/revoke", json={"ids": [third_id]}, headers=h)
    assert r.status_code == 200, r.text
    assert _scan(client, third)["reason"] == "revoked"
    assert _scan(client, other)["verdict"] == "ours"
    assert client.post(f"/api/v1/offers/{oid}/archive", headers=h).status_code == 200
    assert _scan(client, other)["reason"] == "revoked"


@pytest.fixture
def second(settings: Settings) -> Iterator[TestClient]:
    """Another instance of the app on the same database: it sees our writes only via TTL."""
    application = create_app(settings)
    with TestClient(application, raise_server_exceptions=False) as c:
        yield c
    application.state.rc.scans.close()
    application.state.rc.db.dispose()


def test_revocation_reaches_another_instance_within_the_ttl(
    client: TestClient, second: TestClient
) -> None:
    owner = register(client)
    text = issue(client, owner, merchant_with_offer(client, owner)["id"])
    code_id = _scan(second, text)["code"]["id"]  # now in the second instance's cache
    assert client.post(f"/api/v1/codes/{code_id}/revoke", headers=auth(owner)).status_code == 200
    assert _scan(client, text)["reason"] == "revoked"  # this instance: at once
    ttl = second.app.state.rc.resolver.cache.ttl  # type: ignore[attr-defined]
    deadline = time.monotonic() + ttl + 10  # generous: a loaded machine, not a speed test
    reason = None
    while time.monotonic() < deadline:
        reason = _scan(second, text)["reason"]
        if reason == "revoked":
            break
        time.sleep(0.1)
    assert reason == "revoked"


# -- the cache itself, on a fake clock ---------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _token(n: int, body: str = "") -> OnlineToken:
    return OnlineToken(version=1, kid=1, code_id=bytes([n]) * 16, body=body or f"B{n}")


def _scanned(n: int) -> Scanned:
    return Scanned(b"%d" % n, ScanFacts(None, "ours", None, None))


def test_entries_expire_and_are_capped_by_the_clock() -> None:
    clock = Clock()
    cache = AnswerCache(1.5, clock=clock)
    cache.put(_token(1), _scanned(1), 7, cache.epoch, None)
    cache.put(_token(2), _scanned(2), 7, cache.epoch, 0.5)  # its code expires in 0.5 s
    assert cache.get(_token(1)) == _scanned(1) and cache.get(_token(2)) == _scanned(2)
    assert cache.get(_token(1, body="OTHER")) is None  # same id, another kid/tag: a miss
    clock.now += 0.6
    assert cache.get(_token(1)) is not None and cache.get(_token(2)) is None
    clock.now += 1.0
    assert cache.get(_token(1)) is None


def test_a_read_that_raced_a_write_is_not_stored() -> None:
    cache = AnswerCache(1.5, clock=Clock())
    epoch = cache.epoch  # a scan starts reading…
    cache.invalidate({"01" * 16}, set(), False)  # …a write commits meanwhile…
    cache.put(_token(1), _scanned(1), 7, epoch, None)  # …so its answer may be old
    assert cache.get(_token(1)) is None
    cache.put(_token(1), _scanned(1), 7, cache.epoch, None)
    cache.put(_token(3), _scanned(3), 8, cache.epoch, None)
    cache.invalidate(set(), {7}, False)  # by offer
    assert cache.get(_token(1)) is None and cache.get(_token(3)) is not None


def test_the_cache_stays_bounded() -> None:
    clock = Clock()
    cache = AnswerCache(1.5, max_entries=50, clock=clock)
    for n in range(200):
        cache.put(_token(n % 256), _scanned(n), None, cache.epoch, None)
        clock.now += 0.1  # expired entries are swept from the front as new ones come
        assert len(cache) <= 50


def test_valid_for_is_the_next_instant_the_answer_changes() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    code = CodeRow("ab" * 16, "offer", None, None, None, 0, None, "active", 1, 1, now, None)
    assert valid_for(ResolveRow(code, None, None), now) is None
    soon = dataclasses.replace(code, expires_at=now + timedelta(seconds=3))
    assert valid_for(ResolveRow(soon, None, None), now) == 3.0
    past = dataclasses.replace(code, expires_at=now - timedelta(seconds=3))
    assert valid_for(ResolveRow(past, None, None), now) is None  # already expired: stays so

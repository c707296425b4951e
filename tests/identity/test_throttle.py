"""Sign-up and sign-in limits: per address and per account, slowing down, not locking out."""

from __future__ import annotations

import itertools
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from relaycode.config import Settings
from relaycode.errors import RateLimited, Unauthorized
from relaycode.identity.ratelimit import MemoryStore
from relaycode.identity.throttle import SignInThrottle

PASSWORD = "correct horse 1"


def from_address(app: Any, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 5000))


def _register(app: Any, address: str, username: str) -> int:
    with from_address(app, address) as c:
        body = {"username": username, "password": PASSWORD}
        return c.post("/api/v1/auth/register", json=body).status_code


def _login(app: Any, address: str, username: str, password: str) -> Any:
    with from_address(app, address) as c:
        body = {"username": username, "password": password}
        return c.post("/api/v1/auth/login", json=body)


def test_sign_ups_are_limited_per_address_not_for_everyone(app: Any) -> None:
    # Ten sign-ups from ten addresses: an eleventh address is not affected.
    assert [_register(app, f"198.51.100.{i}", f"user{i}") for i in range(10)] == [201] * 10
    assert _register(app, "198.51.100.99", "eleventh") == 201
    # One address: ten sign-ups an hour (the default), then a 429 with Retry-After.
    assert [_register(app, "203.0.113.5", f"same{i}") for i in range(10)] == [201] * 10
    with from_address(app, "203.0.113.5") as c:
        r = c.post("/api/v1/auth/register", json={"username": "same10", "password": PASSWORD})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= 3600
        r = c.post("/api/v1/auth/device", json={})  # device accounts count on their own
        assert r.status_code == 201


def test_one_address_cannot_try_many_usernames(app: Any) -> None:
    codes = [_login(app, "203.0.113.9", f"name{i}", "wrong-pw").status_code for i in range(40)]
    assert codes[:30] == [401] * 30 and set(codes[30:]) == {429}
    r = _login(app, "203.0.113.9", "name99", "wrong-pw")
    assert int(r.headers["retry-after"]) >= 1
    # Another address is not held back by that one.
    assert _login(app, "203.0.113.10", "name0", "wrong-pw").status_code == 401


def test_an_attack_on_an_account_does_not_lock_its_owner_out(app: Any) -> None:
    home = "192.0.2.1"
    assert _register(app, home, "alice") == 201
    # Strangers guess alice's password, two tries from each of many addresses.
    codes = [
        _login(app, f"198.51.100.{i // 2}", "alice", f"guess-{i}").status_code for i in range(14)
    ]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    # A stranger's address is slowed down for a short while (here: at most a minute)...
    r = _login(app, "198.51.100.200", "alice", PASSWORD)
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    # ...but from her own address alice signs in at once.
    r = _login(app, home, "alice", PASSWORD)
    assert r.status_code == 200, r.text


def test_wrong_passwords_from_ones_own_address_are_still_limited(app: Any) -> None:
    assert _register(app, "192.0.2.1", "alice") == 201
    codes = [_login(app, "192.0.2.1", "alice", "typo-typo").status_code for _ in range(11)]
    assert codes == [401] * 10 + [429]


def test_a_good_sign_in_makes_the_address_known(app: Any) -> None:
    assert _register(app, "192.0.2.1", "alice") == 201
    assert _login(app, "192.0.2.77", "alice", PASSWORD).status_code == 200  # a new place
    for i in range(12):
        _login(app, f"198.51.100.{i}", "alice", "guess")
    assert _login(app, "192.0.2.77", "alice", PASSWORD).status_code == 200


def test_forwarded_for_counts_only_behind_a_trusted_proxy(settings: Settings) -> None:
    from relaycode.app import create_app

    names = itertools.count()

    def signups(app: Any, forwarded: list[str]) -> list[int]:
        out = []
        with from_address(app, "10.0.0.2") as c:
            for xff in forwarded:
                body = {"username": f"user{next(names)}", "password": PASSWORD}
                headers = {"x-forwarded-for": xff}
                out.append(c.post("/api/v1/auth/register", json=body, headers=headers).status_code)
        return out

    limited = {"signups_per_address": "2 per hour"}
    behind = create_app(settings.model_copy(update={**limited, "trusted_proxies": ["10.0.0.0/8"]}))
    # Behind our proxy each client has its own count; a spoofed left part changes nothing.
    assert signups(behind, ["1.1.1.1", "9.9.9.9, 1.1.1.1", "1.1.1.1", "2.2.2.2"]) == [
        201, 201, 429, 201,
    ]  # fmt: skip
    exposed = create_app(settings.model_copy(update=limited))
    # Without a trusted proxy the header is ignored: one peer, one count.
    assert signups(exposed, ["3.3.3.3", "4.4.4.4", "5.5.5.5"]) == [201, 201, 429]
    for a in (behind, exposed):
        a.state.rc.scans.close()
        a.state.rc.db.dispose()


# ---- the growing wait, on a clock the test moves ---------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    fake = types.SimpleNamespace(time=clock.time)
    monkeypatch.setattr("limits.storage.memory.time", fake)
    monkeypatch.setattr("relaycode.identity.ratelimit.time", fake)
    yield clock


def _request(address: str) -> Request:
    return Request({"type": "http", "headers": [], "client": (address, 1)})


def _fail(throttle: SignInThrottle, address: str) -> int:
    """One wrong password; the Retry-After when it was refused instead, else 0."""
    try:
        with throttle.login(_request(address), "alice"):
            raise Unauthorized("wrong", code="bad_credentials")
    except RateLimited as limited:
        return int(limited.details["retry_after"])
    except Unauthorized:
        return 0
    raise AssertionError("unreachable")


def test_the_wait_for_strangers_grows_then_ends(clock: Clock, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    throttle = SignInThrottle.from_settings(MemoryStore.from_settings(settings), settings)
    strangers = iter(f"198.51.100.{i}" for i in range(250))
    waits = []
    for _ in range(3):
        failures = 0
        while (wait := _fail(throttle, next(strangers))) == 0:
            failures += 1
        waits.append(wait)
        clock.now += wait  # wait as told, then carry on guessing
    # 10 per minute, then 20 per 10 minutes, then 30 per hour: each wait is longer.
    assert waits[0] <= 60 < waits[1] <= 600 < waits[2] <= 3600, waits
    # The attack stops: after the last wait, an hour later everything is forgotten.
    clock.now += 3600
    assert _fail(throttle, next(strangers)) == 0


def test_two_instances_on_one_redis_share_the_limits(settings: Settings, redis_target: Any) -> None:
    """Behind a load balancer: wrong passwords sent to one instance count on the other."""

    from relaycode.app import create_app

    target = {"redis_url": redis_target.url, "ratelimit_prefix": redis_target.prefix}
    shared = settings.model_copy(update=target)
    one, two = create_app(shared), create_app(shared)
    try:
        for _ in range(5):
            assert _login(one, "203.0.113.1", "alice", "guess").status_code == 401
            assert _login(two, "203.0.113.1", "alice", "guess").status_code == 401
        for app in (one, two):
            r = _login(app, "203.0.113.1", "alice", "guess")
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    finally:
        for app in (one, two):
            app.state.rc.scans.close()
            app.state.rc.db.dispose()

"""Rate-limit storage: the memory and Redis backends behind one protocol."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from limits import parse

from relaycode.backends import BackendError
from relaycode.config import Settings
from relaycode.identity.ratelimit import (
    MemoryStore,
    RateLimitStore,
    RedisStore,
    Unavailable,
    store_from_settings,
)


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(data_dir=tmp_path, **kw)  # type: ignore[arg-type]


@pytest.fixture
def redis_settings(tmp_path: Path, redis_target: Any) -> Settings:
    return _settings(tmp_path, redis_url=redis_target.url, ratelimit_prefix=redis_target.prefix)


def _exercise(store: RateLimitStore) -> None:
    rule = parse("3 per minute")
    assert [store.hit(rule, "login", "a") for _ in range(4)] == [True, True, True, False]
    assert not store.test(rule, "login", "a")
    assert 1 <= store.retry_after(rule, "login", "a") <= 60
    assert store.test(rule, "login", "b") and store.retry_after(rule, "login", "b") == 0
    store.clear(rule, "login", "a")
    assert store.hit(rule, "login", "a")


def test_memory_store_counts_in_a_moving_window(tmp_path: Path) -> None:
    _exercise(MemoryStore.from_settings(_settings(tmp_path)))


def test_redis_store_counts_the_same_way(redis_settings: Settings) -> None:
    _exercise(RedisStore.from_settings(redis_settings))


def test_instances_sharing_a_redis_share_their_limits(redis_settings: Settings) -> None:
    one, two = store_from_settings(redis_settings), store_from_settings(redis_settings)
    assert isinstance(one, RedisStore)
    rule = parse("2 per minute")
    assert one.hit(rule, "k") and two.hit(rule, "k")
    assert not one.hit(rule, "k") and not two.hit(rule, "k")
    other = redis_settings.model_copy(update={"ratelimit_prefix": f"other-{uuid.uuid4().hex}"})
    assert store_from_settings(other).hit(rule, "k")  # a prefix is a separate namespace


def test_an_unreachable_redis_is_a_503_not_a_pass(tmp_path: Path) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = RedisStore.from_settings(_settings(tmp_path, redis_url=f"redis://127.0.0.1:{port}/0"))
    with pytest.raises(Unavailable) as err:
        store.hit(parse("1 per minute"), "k")
    assert (err.value.status, err.value.code) == (503, "unavailable")


def test_backend_chosen_by_configuration(tmp_path: Path) -> None:
    assert isinstance(store_from_settings(_settings(tmp_path)), MemoryStore)
    with_redis = _settings(tmp_path, redis_url="redis://127.0.0.1:6379/0")
    assert isinstance(store_from_settings(with_redis), RedisStore)
    forced = _settings(tmp_path, redis_url="redis://127.0.0.1:6379/0", ratelimit_backend="memory")
    assert isinstance(store_from_settings(forced), MemoryStore)
    dotted = _settings(tmp_path, ratelimit_backend="relaycode.identity.ratelimit:MemoryStore")
    assert isinstance(store_from_settings(dotted), MemoryStore)


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ("memcache", "unknown rate-limit backend 'memcache'"),
        ("no.such.module:Store", "cannot be imported"),
        ("relaycode.config:Settings", "has no from_settings"),
        ("relaycode.media:LocalMediaStore", "does not provide RateLimitStore"),
    ],
)
def test_a_wrong_backend_setting_is_one_clear_error(
    tmp_path: Path, backend: str, message: str
) -> None:
    with pytest.raises(BackendError, match=message):
        store_from_settings(_settings(tmp_path, ratelimit_backend=backend))


def test_redis_backend_without_a_url_says_so(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="RELAYCODE_REDIS_URL"):
        store_from_settings(_settings(tmp_path, ratelimit_backend="redis"))

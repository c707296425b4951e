"""Rate-limit storage: where hits are counted, behind a small protocol.

Rules are ``limits`` items (``limits.parse("10 per minute")``) counted in a moving
window. The ``memory`` backend counts per process; ``redis`` (the default when
``RELAYCODE_REDIS_URL`` is set) shares the counts between every app instance using that
Redis, which is what makes a limit mean anything behind a load balancer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from relaycode import backends
from relaycode.config import Settings
from relaycode.errors import AppError

BUILTIN = {
    "memory": "relaycode.identity.ratelimit:MemoryStore",
    "redis": "relaycode.identity.ratelimit:RedisStore",
}


@runtime_checkable
class RateLimitStore(Protocol):
    """Counts hits of a rule per key (the key's parts are joined by the store)."""

    def hit(self, rule: RateLimitItem, *key: str) -> bool:
        """Count one hit; False (and not counted) when the rule is already used up."""
        ...

    def test(self, rule: RateLimitItem, *key: str) -> bool:
        """Whether one more hit would be allowed, without counting it."""
        ...

    def retry_after(self, rule: RateLimitItem, *key: str) -> int:
        """Seconds until the next hit is allowed (0 when it is allowed now)."""
        ...

    def clear(self, rule: RateLimitItem, *key: str) -> None: ...


class Unavailable(AppError):
    status = 503
    code = "unavailable"


class LimitsStore:
    """A ``limits`` storage with the moving-window strategy (exact, no burst at edges)."""

    def __init__(self, storage: Storage) -> None:
        self._limiter = MovingWindowRateLimiter(storage)

    def hit(self, rule: RateLimitItem, *key: str) -> bool:
        with _guard():
            return self._limiter.hit(rule, *key)

    def test(self, rule: RateLimitItem, *key: str) -> bool:
        with _guard():
            return self._limiter.test(rule, *key)

    def retry_after(self, rule: RateLimitItem, *key: str) -> int:
        with _guard():
            stats = self._limiter.get_window_stats(rule, *key)
        if stats.remaining > 0:
            return 0
        return max(1, math.ceil(stats.reset_time - time.time()))

    def clear(self, rule: RateLimitItem, *key: str) -> None:
        with _guard():
            self._limiter.clear(rule, *key)


@contextmanager
def _guard() -> Iterator[None]:
    """A storage outage is a 503 the client may retry, not a 500 and not a free pass."""
    try:
        yield
    except StorageError as exc:
        raise Unavailable("rate limiting is unavailable, try again shortly") from exc


class MemoryStore(LimitsStore):
    @classmethod
    def from_settings(cls, settings: Settings) -> MemoryStore:
        return cls(MemoryStorage())


class RedisStore(LimitsStore):
    @classmethod
    def from_settings(cls, settings: Settings) -> RedisStore:
        if not settings.redis_url:
            raise backends.BackendError("the redis rate-limit backend needs RELAYCODE_REDIS_URL")
        storage = RedisStorage(
            settings.redis_url,
            key_prefix=settings.ratelimit_prefix,
            wrap_exceptions=True,
            # A Redis that does not answer must not hold sign-in requests for long.
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
        )
        return cls(storage)


def store_from_settings(settings: Settings) -> RateLimitStore:
    name = settings.ratelimit_backend or ("redis" if settings.redis_url else "memory")
    store = backends.load("rate-limit", name, BUILTIN, settings)
    if not isinstance(store, RateLimitStore):
        raise backends.wrong_type("rate-limit", name, RateLimitStore)
    return store

from __future__ import annotations

from relaycode.identity.ratelimit import RateLimiter


def test_sliding_window() -> None:
    limiter = RateLimiter(3, 60.0)
    assert [limiter.hit("k", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.retry_after("k", now=3) == 58
    assert limiter.hit("k", now=60.5)  # the first attempt has left the window
    assert limiter.hit("other", now=3)  # keys are independent


def test_memory_stays_bounded() -> None:
    limiter = RateLimiter(1, 10.0, max_keys=100)
    for i in range(1000):
        limiter.hit(f"ip-{i}", now=float(i))
    assert len(limiter._hits) <= 100
    assert limiter.retry_after("never-seen", now=5) == 0

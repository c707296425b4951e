"""Concurrent requests against a real server process and database."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from relaycode.identity.ratelimit import RateLimiter


def test_concurrent_signups_for_one_username(app: Any) -> None:
    """20 simultaneous sign-ups for one name: exactly one wins, the rest get a clean 409."""
    app.state.rc.login_limiter = RateLimiter(1000, 60.0)  # all from one test address

    def attempt(i: int) -> tuple[int, str | None]:
        with TestClient(app, raise_server_exceptions=False) as c:
            r = c.post(
                "/api/v1/auth/register",
                json={"username": "popular", "password": f"password-{i:04d}"},
            )
            code = r.json().get("error", {}).get("code") if r.status_code != 201 else None
            return r.status_code, code

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = Counter(pool.map(attempt, range(20), timeout=120))
    assert results[(201, None)] == 1, results
    assert results[(409, "username_taken")] == 19, results

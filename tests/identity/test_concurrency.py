"""Sign-up races against a live server: concurrent requests, each on its own connection."""

from __future__ import annotations

from collections import Counter

from live import clients, close_all, live_app, outcome, race

from relaycode.config import Settings


def test_concurrent_signups_for_one_username(settings: Settings) -> None:
    """20 simultaneous sign-ups for one name: exactly one wins, the rest get a clean 409."""
    with live_app(settings) as (url, _app):
        cs = clients(url, 20)
        try:
            results = race(
                20,
                lambda i: outcome(
                    cs[i].post(
                        "/api/v1/auth/register",
                        json={"username": "popular", "password": f"password-{i:04d}"},
                    )
                ),
            )
        finally:
            close_all(cs)
    counts = Counter(results)
    assert counts[(201, None)] == 1, counts
    assert counts[(409, "username_taken")] == 19, counts


def test_concurrent_first_signups_make_no_operator(settings: Settings) -> None:
    """On a fresh instance, 20 simultaneous first sign-ups: all succeed, none administers."""
    with live_app(settings) as (url, _app):
        cs = clients(url, 20)
        try:
            tokens = race(
                20,
                lambda i: (
                    cs[i]
                    .post(
                        "/api/v1/auth/register",
                        json={"username": f"early-{i:02d}", "password": "password-1234"},
                    )
                    .json()["user"]
                ),
            )
        finally:
            close_all(cs)
    assert len({u["username"] for u in tokens}) == 20
    assert [u["username"] for u in tokens if u["is_operator"]] == []

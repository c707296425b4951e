"""Team changes racing each other on a live server: a merchant always keeps an owner.

The rule reads several membership rows and then writes one; two owners demoting each
other at once each saw "two owners" without the merchant row lock, and both won.
"""

from __future__ import annotations

from collections import Counter

import httpx
from helpers import register
from live import bearer, clients, close_all, live_app, outcome, race

from relaycode.config import Settings

ROUNDS = 8


def _owners(c: httpx.Client, headers: dict[str, str]) -> list[str]:
    r = c.get("/api/v1/merchants/shop/members", headers=headers)
    assert r.status_code == 200, r.text
    return sorted(m["username"] for m in r.json()["items"] if m["role"] == "owner")


def _team(c: httpx.Client, names: list[str]) -> dict[str, dict[str, str]]:
    """A merchant ``shop`` whose owners are ``names`` (the first one created it)."""
    headers = {n: bearer(register(c, n)) for n in names}
    first = headers[names[0]]
    assert c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"},
                  headers=first).status_code == 201  # fmt: skip
    for n in names[1:]:
        r = c.put("/api/v1/merchants/shop/members", json={"username": n, "role": "owner"},
                  headers=first)  # fmt: skip
        assert r.status_code == 200, r.text
    return headers


def test_two_owners_demoting_each_other_leave_one(settings: Settings) -> None:
    with live_app(settings) as (url, _app):
        cs = clients(url, 2)
        try:
            headers = _team(cs[0], ["alice", "bob"])
            pairs = [("alice", "bob"), ("bob", "alice")]
            for _ in range(ROUNDS):

                def demote(i: int) -> tuple[int, str | None]:
                    me, other = pairs[i]
                    body = {"username": other, "role": "staff"}
                    return outcome(
                        cs[i].put("/api/v1/merchants/shop/members", json=body, headers=headers[me])
                    )

                results = race(2, demote)
                # The loser is refused either way: no longer an owner (403), or the other
                # is the last owner (409).
                assert sorted(r[0] for r in results) in ([200, 403], [200, 409]), results
                winner = pairs[[r[0] for r in results].index(200)][0]
                assert _owners(cs[0], headers[winner]) == [winner]
                loser = "bob" if winner == "alice" else "alice"
                body = {"username": loser, "role": "owner"}
                r = cs[0].put("/api/v1/merchants/shop/members", json=body, headers=headers[winner])
                assert r.status_code == 200, r.text
        finally:
            close_all(cs)


def test_owners_leaving_at_once_leave_exactly_one(settings: Settings) -> None:
    """Five owners each remove themselves at the same moment: four go, one stays."""
    names = ["owner-a", "owner-b", "owner-c", "owner-d", "owner-e"]
    with live_app(settings) as (url, _app):
        cs = clients(url, len(names))
        try:
            headers = _team(cs[0], names)
            results = race(
                len(names),
                lambda i: outcome(
                    cs[i].delete(
                        f"/api/v1/merchants/shop/members/{names[i]}", headers=headers[names[i]]
                    )
                ),
            )
            counts = Counter(results)
            assert counts == {(204, None): 4, (409, "last_owner"): 1}, counts
            stayed = names[results.index((409, "last_owner"))]
            assert _owners(cs[0], headers[stayed]) == [stayed]
        finally:
            close_all(cs)

"""The figures against the hand-counted shop of world.py: bots and staff not counted,
refunds subtracted, blocked commissions left out, other merchants' rows never seen."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth

from analytics.world import FROM, TO, World, build


@pytest.fixture
def w(app: Any) -> World:
    return build(app)


def _get(client: TestClient, w: World, path: str, who: str = "owner", **query: Any) -> Any:
    r = client.get(path, params=query, headers=auth(w.tokens[who]))
    assert r.status_code == 200, r.text
    return r.json()


def _figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["scans"], row["unique_scanners"], row["orders"], row["revenue"],
            row["commissions"])  # fmt: skip


def test_merchant_totals_and_days(client: TestClient, w: World) -> None:
    path = f"/api/v1/merchants/{w.ids['tea']}/analytics"
    body = _get(client, w, path, **{"from": FROM, "to": TO})
    assert (body["from"], body["to"], body["timezone"]) == (FROM, TO, "UTC")
    # 11 scans (5 + 4 + 1 + 1), 8 distinct scanners; 6 paid orders; CNY 1000 + 1500 + 0
    # + 3000 + 700, USD 400; commissions 100 + 50 + 150 + 0 + 30 (blocked 70 left out).
    totals = body["totals"]
    assert _figures(totals) == (11, 8, 6, {"CNY": 6200, "USD": 400}, {"CNY": 330})
    assert totals["conversion"] == 0.75
    days = {d["day"]: d for d in body["series"]}
    assert len(body["series"]) == 10 and next(iter(days)) == FROM and list(days)[-1] == TO
    assert _figures(days["2030-03-01"]) == (5, 4, 0, {}, {})
    assert _figures(days["2030-03-02"]) == (2, 2, 0, {}, {})  # bot and staff not counted
    assert _figures(days["2030-03-03"]) == (2, 2, 2, {"CNY": 1500}, {"CNY": 150})
    assert _figures(days["2030-03-04"]) == (1, 1, 1, {"CNY": 3000}, {"CNY": 30})
    assert _figures(days["2030-03-05"]) == (1, 1, 1, {"CNY": 1000}, {"CNY": 150})
    assert _figures(days["2030-03-06"]) == (0, 0, 1, {"CNY": 700}, {})
    assert _figures(days["2030-03-07"]) == (0, 0, 1, {"USD": 400}, {})
    assert days["2030-03-06"]["conversion"] is None
    assert sum(d["scans"] for d in body["series"]) == totals["scans"]


def test_grouped_by_offer_code_channel_referrer(client: TestClient, w: World) -> None:
    path = f"/api/v1/merchants/{w.ids['tea']}/analytics"
    ids = w.ids

    def groups(group: str) -> dict[Any, Any]:
        body = _get(client, w, path, group=group, **{"from": FROM, "to": TO})
        assert body["group"] == group and body["truncated"] is False
        return {g["key"]: g for g in body["groups"]}

    offers = groups("offer")
    assert _figures(offers[ids["A"]]) == (10, 7, 5, {"CNY": 3200, "USD": 400}, {"CNY": 300})
    assert offers[ids["A"]]["label"] == "Tea A" and offers[ids["A"]]["conversion"] == 0.7143
    assert _figures(offers[ids["B"]]) == (1, 1, 1, {"CNY": 3000}, {"CNY": 30})
    assert set(offers) == {ids["A"], ids["B"]}

    codes = groups("code")
    assert _figures(codes[ids["r1"]]) == (5, 4, 0, {}, {})  # o7 is credited to a1
    assert _figures(codes[ids["r2"]]) == (0, 0, 1, {"USD": 400}, {})
    assert _figures(codes[ids["a1"]]) == (4, 3, 3, {"CNY": 2200}, {"CNY": 200})
    assert _figures(codes[ids["b1"]]) == (1, 1, 1, {"CNY": 1000}, {"CNY": 100})
    assert _figures(codes[ids["rb"]]) == (1, 1, 1, {"CNY": 3000}, {})
    assert _figures(codes[None]) == (0, 0, 0, {}, {"CNY": 30})  # the platform's share
    assert (codes[ids["a1"]]["label"], codes[ids["a1"]]["depth"]) == ("Alice W", 1)
    assert codes[ids["r1"]]["label"] == "poster" and codes[ids["b1"]]["label"] == "bob"
    # Busiest first: most orders, then revenue.
    assert next(iter(codes)) == ids["a1"]

    channels = groups("channel")
    assert _figures(channels["poster"]) == (6, 5, 1, {"CNY": 3000}, {})
    assert _figures(channels["wechat"]) == (5, 4, 4, {"CNY": 3200}, {"CNY": 300})
    assert _figures(channels[None]) == (0, 0, 1, {"USD": 400}, {"CNY": 30})

    referrers = groups("referrer")
    alice, bob = referrers[ids["alice"]], referrers[ids["bob"]]
    assert _figures(alice) == (4, 3, 3, {"CNY": 2200}, {"CNY": 200})
    assert _figures(bob) == (1, 1, 1, {"CNY": 1000}, {"CNY": 100})
    assert _figures(referrers[None]) == (6, 5, 2, {"CNY": 3000, "USD": 400}, {"CNY": 30})
    assert (alice["label"], bob["label"]) == ("Alice W", "bob")


def test_limit_keeps_the_busiest_and_says_so(client: TestClient, w: World) -> None:
    path = f"/api/v1/merchants/{w.ids['tea']}/analytics"
    body = _get(client, w, path, group="code", limit=2, **{"from": FROM, "to": TO})
    assert body["truncated"] is True
    assert [g["key"] for g in body["groups"]] == [w.ids["a1"], w.ids["rb"]]


def test_offer_timeseries_and_channels(client: TestClient, w: World) -> None:
    body = _get(client, w, f"/api/v1/offers/{w.ids['A']}/analytics", **{"from": FROM, "to": TO})
    assert _figures(body["totals"]) == (10, 7, 5, {"CNY": 3200, "USD": 400}, {"CNY": 300})
    days = {d["day"]: d for d in body["series"]}
    assert _figures(days["2030-03-04"]) == (0, 0, 0, {}, {})  # that day's sale was offer B's
    channels = {c["key"]: c for c in body["channels"]}
    assert _figures(channels["poster"]) == (5, 4, 0, {}, {})
    assert _figures(channels["wechat"]) == (5, 4, 4, {"CNY": 3200}, {"CNY": 300})


def test_the_default_period_is_the_last_30_days(client: TestClient, w: World) -> None:
    body = _get(client, w, f"/api/v1/merchants/{w.ids['tea']}/analytics")
    assert len(body["series"]) == 30 and body["totals"]["scans"] == 0  # 2030 is ahead


def test_referral_tree_all_time(client: TestClient, w: World) -> None:
    r = client.get(f"/api/v1/offers/{w.ids['A']}/referral-tree", headers=auth(w.tokens["staffer"]))
    assert r.status_code == 200, r.text
    assert "+86139" not in r.text and "+86138" not in r.text  # never a phone number
    tree = r.json()
    assert tree["truncated"] is False and tree["cap"] == 5000
    nodes = {n["code_id"]: n for n in tree["nodes"]}
    ids = w.ids
    assert [n["depth"] for n in tree["nodes"]] == [0, 0, 1, 2, 3]
    assert nodes[ids["r1"]]["parent_id"] is None and nodes[ids["c1"]]["parent_id"] == ids["b1"]
    assert nodes[ids["r1"]]["scans"] == 6  # all time: the scan of 28 February too
    b1 = nodes[ids["b1"]]
    assert (b1["sharer"], b1["orders"], b1["revenue"], b1["commissions"]) == (
        "bob", 2, {"CNY": 1100}, {"CNY": 110})  # fmt: skip
    assert nodes[ids["a1"]]["sharer"] == "Alice W" and nodes[ids["c1"]]["sharer"] is None
    assert ids["rb"] not in nodes  # another offer's code


def test_my_earnings(client: TestClient, w: World) -> None:
    body = _get(client, w, "/api/v1/me/earnings", who="alice", **{"from": FROM, "to": TO})
    assert [s["code_id"] for s in body["shares"]] == [w.ids["a1"]]
    share = body["shares"][0]
    assert _figures(share) == (4, 3, 3, {"CNY": 2200}, {"CNY": 200})
    assert share["offer_title"] == "Tea A" and share["channel"] == "wechat"
    assert _figures(body["totals"]) == (4, 3, 3, {"CNY": 2200}, {"CNY": 200})
    by_status = {s["status"]: s for s in body["commissions_by_status"]}
    assert [s["status"] for s in body["commissions_by_status"]] == [
        "available", "pending", "reversed", "blocked"]  # fmt: skip
    assert (by_status["available"]["net_minor"], by_status["pending"]["net_minor"]) == (50, 150)
    assert by_status["reversed"]["net_minor"] == 0 and by_status["blocked"]["net_minor"] == 0
    assert by_status["blocked"]["amount_minor"] == 70
    # Bob's earnings are his own.
    bob = _get(client, w, "/api/v1/me/earnings", who="bob", **{"from": FROM, "to": TO})
    assert [s["code_id"] for s in bob["shares"]] == [w.ids["b1"]]
    assert bob["totals"]["commissions"] == {"CNY": 100}


def test_someone_without_shares_has_empty_earnings(client: TestClient, w: World) -> None:
    body = _get(client, w, "/api/v1/me/earnings", who="rival")
    assert body["shares"] == [] and body["commissions_by_status"] == []
    assert body["totals"]["scans"] == 0 and body["totals"]["conversion"] is None

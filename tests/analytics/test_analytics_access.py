"""Who may read analytics, hostile query parameters, CSV exports that cannot run a
formula, and a referral tree of hundreds of nodes under its cap."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth

from analytics import factories as f
from analytics.world import FROM, TO, World, build
from relaycode.analytics import service
from relaycode.models import Offer


@pytest.fixture
def w(app: Any) -> World:
    return build(app)


def _paths(w: World) -> list[str]:
    tea, a = w.ids["tea"], w.ids["A"]
    return [
        f"/api/v1/merchants/{tea}/analytics",
        f"/api/v1/merchants/{tea}/analytics.csv",
        f"/api/v1/offers/{a}/analytics",
        f"/api/v1/offers/{a}/analytics.csv",
        f"/api/v1/offers/{a}/referral-tree",
        f"/api/v1/offers/{a}/referral-tree.csv",
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("staffer", 200), ("checker", 403), ("rival", 403), ("alice", 403)],
)
def test_only_the_merchants_owners_and_staff(
    client: TestClient, w: World, who: str, status: int
) -> None:
    for path in _paths(w):
        r = client.get(path, headers=auth(w.tokens[who]))
        assert r.status_code == status, (path, r.text)
        if status == 403:
            assert r.json()["error"]["code"] == "forbidden"


def test_anonymous_and_unknown(client: TestClient, w: World) -> None:
    for path in [*_paths(w), "/api/v1/me/earnings", "/api/v1/me/earnings.csv"]:
        r = client.get(path)
        assert r.status_code == 401, path
    owner = auth(w.tokens["owner"])
    unknown = [f"/api/v1/merchants/{n}/analytics" for n in (999999, 2**70)]
    unknown += [f"/api/v1/offers/999999/{p}" for p in ("analytics", "referral-tree")]
    for path in unknown:
        assert client.get(path, headers=owner).status_code in (404, 422), path


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"from": "2030-13-01"}, "invalid_input"),
        ({"to": "yesterday"}, "invalid_input"),
        ({"from": "'; DROP TABLE orders; --"}, "invalid_input"),
        ({"from": "2030-03-10", "to": "2030-03-01"}, "invalid_range"),
        ({"from": "2029-01-01", "to": "2030-03-01"}, "range_too_long"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "invalid_range"),
        ({"from": "9999-12-30", "to": "9999-12-31"}, "invalid_range"),
        ({"group": "password"}, "invalid_input"),
        ({"limit": "0"}, "invalid_input"),
        ({"limit": "100000"}, "invalid_input"),
        ({"from": "2030-03-01" * 100}, "invalid_input"),
    ],
)
def test_hostile_query_parameters_are_422(
    client: TestClient, w: World, query: dict[str, str], code: str
) -> None:
    r = client.get(
        f"/api/v1/merchants/{w.ids['tea']}/analytics", params=query,
        headers=auth(w.tokens["owner"]),
    )  # fmt: skip
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
    if "limit" not in query and "group" not in query:
        r = client.get("/api/v1/me/earnings.csv", params=query, headers=auth(w.tokens["alice"]))
        assert r.status_code == 422 and r.json()["error"]["code"] == code


def test_366_days_is_the_longest_period(client: TestClient, w: World) -> None:
    r = client.get(
        f"/api/v1/offers/{w.ids['A']}/analytics",
        params={"from": "2029-03-10", "to": "2030-03-10"},
        headers=auth(w.tokens["owner"]),
    )
    assert r.status_code == 200 and len(r.json()["series"]) == 366


def _csv(r: Any) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_csv_exports_carry_the_figures_and_no_formulas(
    client: TestClient, app: Any, w: World
) -> None:
    hostile = '=HYPERLINK("https://evil.example","x")'
    with app.state.rc.db.transaction() as db:
        offer = db.get(Offer, w.ids["A"])
        assert offer is not None
        offer.title = hostile
        eve = f.user(db, "eve", display_name="@SUM(1+1)*cmd|' /C calc'!A0")
        share = f.code(db, offer, parent=None, holder=eve, channel="+cmd")
        share.kind, share.parent_id, share.depth = "share", w.ids["a1"], 2
        f.scan(db, share, f.at("2030-03-02"), agent="-2+3")
    owner = auth(w.tokens["owner"])
    q = {"from": FROM, "to": TO}
    base = f"/api/v1/merchants/{w.ids['tea']}"
    offers = _csv(
        client.get(f"{base}/analytics.csv", params={**q, "group": "offer"}, headers=owner)
    )
    row = next(r for r in offers if r["key"] == str(w.ids["A"]))
    assert row["label"] == "'" + hostile
    assert (row["scans"], row["orders"], row["revenue_CNY_minor"], row["revenue_USD_minor"]) == (
        "11", "5", "3200", "400")  # fmt: skip
    assert row["commissions_CNY_minor"] == "300" and row["conversion"] == "0.625"
    channels = _csv(client.get(f"{base}/analytics.csv", params={**q, "group": "channel"},
                               headers=owner))  # fmt: skip
    assert "'+cmd" in {r["key"] for r in channels}
    referrers = _csv(client.get(f"{base}/analytics.csv", params={**q, "group": "referrer"},
                                headers=owner))  # fmt: skip
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in {r["label"] for r in referrers}
    tree = _csv(client.get(f"/api/v1/offers/{w.ids['A']}/referral-tree.csv", headers=owner))
    assert {r["sharer"] for r in tree} >= {"Alice W", "bob", "'@SUM(1+1)*cmd|' /C calc'!A0"}
    assert {r["channel"] for r in tree} >= {"'+cmd", "wechat", "poster", ""}
    series = _csv(client.get(f"/api/v1/offers/{w.ids['A']}/analytics.csv", params=q, headers=owner))
    assert len(series) == 10 and series[0]["day"] == FROM
    mine = _csv(client.get("/api/v1/me/earnings.csv", params=q, headers=auth(w.tokens["alice"])))
    assert [(r["code_id"], r["orders"], r["commissions_CNY_minor"]) for r in mine] == [
        (w.ids["a1"], "3", "200")]  # fmt: skip
    assert mine[0]["offer_title"] == "'" + hostile
    # Every text cell of every export starts harmlessly.
    for rows in (offers, channels, referrers, tree, series, mine):
        for r in rows:
            for value in r.values():
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_a_tree_of_500_nodes_is_served_whole_and_a_cap_cuts_generations(
    client: TestClient, app: Any
) -> None:
    with app.state.rc.db.transaction() as db:
        owner = f.user(db, "owner")
        shop = f.merchant(db, "big", {owner: "owner"})
        offer = f.offer(db, shop)
        sharers = [f.user(db, f"s{i}") for i in range(50)]
        level = [f.code(db, offer, channel="poster")]
        made = 1
        while made < 500:  # a bushy tree: each code shared by up to 4 people
            nxt = []
            for parent in level:
                for _ in range(4):
                    if made == 500:
                        break
                    nxt.append(f.code(db, offer, parent=parent, holder=sharers[made % 50]))
                    made += 1
            level = nxt
        token = f.token(db, owner)
        offer_id = offer.id
    r = client.get(f"/api/v1/offers/{offer_id}/referral-tree", headers=auth(token))
    assert r.status_code == 200
    tree = r.json()
    assert len(tree["nodes"]) == 500 and tree["truncated"] is False
    # The page draws it folded, and lists all 500.
    page = client.get(f"/dashboard/offers/{offer_id}/tree", headers=auth(token))
    assert page.status_code == 200
    assert page.text.count('id="n-') == 500 and "data-truncated" not in page.text
    assert 10 < page.text.count('<g class="node ') < 500
    with app.state.rc.db.transaction() as db:
        o = db.get(Offer, offer_id)
        assert o is not None
        cut = service.referral_tree(db, o, cap=100)
    assert len(cut.nodes) == 100 and cut.truncated
    kept = {n.code_id for n in cut.nodes}
    assert all(n.parent_id is None or n.parent_id in kept for n in cut.nodes)

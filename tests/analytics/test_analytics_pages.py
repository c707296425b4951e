"""The analytics pages through the TestClient: who sees them, what they draw, and that a
bad period is a 422 page, never a 500."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analytics import factories as f
from analytics.world import demo
from relaycode.identity import service as identity


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    return demo(app, shares=40)


def _as(client: TestClient, secret: str) -> TestClient:
    client.cookies.set("rc_session", secret)
    return client


def test_the_owner_sees_charts_tree_and_links(client: TestClient, world: dict[str, Any]) -> None:
    c = _as(client, world["owner"])
    merchant = c.get(f"/dashboard/m/{world['slug']}")
    assert f'href="/dashboard/m/{world["slug"]}/analytics"' in merchant.text
    r = c.get(f"/dashboard/m/{world['slug']}/analytics")
    assert r.status_code == 200
    assert r.text.count('class="chart line-chart"') == 2 and 'class="chart bar-chart"' in r.text
    assert f"/api/v1/merchants/{world['merchant_id']}/analytics.csv?from=" in r.text
    for group in ("offer", "code", "channel", "referrer"):
        r = c.get(f"/dashboard/m/{world['slug']}/analytics", params={"group": group})
        assert r.status_code == 200 and 'class="card an-row"' in r.text, group
    offer = c.get(f"/dashboard/offers/{world['offer_id']}")
    assert f'href="/dashboard/offers/{world["offer_id"]}/tree"' in offer.text
    assert "data-scans=" in offer.text  # scan counts on the code cards
    tree = c.get(f"/dashboard/offers/{world['offer_id']}/tree")
    assert tree.status_code == 200
    assert len(re.findall(r'<g class="node ', tree.text)) > 10
    assert tree.text.count('id="n-') == world["nodes"]
    assert "Alice Wang" in tree.text and "+86" not in tree.text
    everything = c.get(f"/dashboard/offers/{world['offer_id']}/tree", params={"all": "1"})
    assert len(re.findall(r'<g class="node ', everything.text)) == world["nodes"] + 1


def test_a_referrer_sees_their_earnings(client: TestClient, world: dict[str, Any]) -> None:
    c = _as(client, world["alice"])
    assert 'href="/me/earnings"' in c.get("/me/codes").text
    r = c.get("/me/earnings")
    assert r.status_code == 200
    for status in ("available", "pending", "reversed", "blocked"):
        assert f'data-status="{status}"' in r.text
    assert r.text.count("data-share-id=") == 1 and "/api/v1/me/earnings.csv?from=" in r.text
    # Not a member of the shop: its pages are refused.
    assert c.get(f"/dashboard/m/{world['slug']}/analytics").status_code == 403
    assert c.get(f"/dashboard/offers/{world['offer_id']}/tree").status_code == 403


def test_another_merchants_staff_is_refused(
    client: TestClient, app: Any, world: dict[str, Any]
) -> None:
    with app.state.rc.db.transaction() as db:
        rival = f.user(db, "rival")
        f.merchant(db, "rival-shop", {rival: "staff"})
        device = identity.attach_device(db, rival, None, "test")
        secret = identity.start_session(db, rival, device, kind="cookie", days=1).secret
    c = _as(client, secret)
    assert c.get(f"/dashboard/m/{world['slug']}/analytics").status_code == 403
    assert c.get(f"/dashboard/offers/{world['offer_id']}/tree").status_code == 403
    assert c.get("/dashboard/m/rival-shop/analytics").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient, world: dict[str, Any]) -> None:
    for path in (f"/dashboard/m/{world['slug']}/analytics", "/me/earnings",
                 f"/dashboard/offers/{world['offer_id']}/tree"):  # fmt: skip
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path


@pytest.mark.parametrize(
    "query",
    [{"from": "2030-02-30"}, {"to": "x" * 5000}, {"from": "2031-01-01", "to": "2030-01-01"},
     {"from": "2020-01-01", "to": "2030-01-01"}, {"group": "<script>"}, {"from": "0001-01-01"}],
)  # fmt: skip
def test_a_bad_period_is_a_422_page(
    client: TestClient, world: dict[str, Any], query: dict[str, str]
) -> None:
    c = _as(client, world["owner"])
    r = c.get(f"/dashboard/m/{world['slug']}/analytics", params=query)
    assert r.status_code == 422 and "<script>" not in r.text
    if "group" not in query:
        assert c.get("/me/earnings", params=query).status_code == 422

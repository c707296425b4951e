"""The dashboard's badges show what scanners meet: an ended offer is "Expired"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient


def test_dashboard_badges_show_the_effective_status(client: TestClient, pages: Any) -> None:
    shop = pages.shop()
    past = datetime.now(UTC) - timedelta(days=1)
    window = {"valid_from": (past - timedelta(days=1)).isoformat(), "valid_until": past.isoformat()}
    r = client.patch(
        f"/api/v1/offers/{shop.offer_id}",
        json=window,
        headers={"X-CSRF-Token": pages.csrf()},
    )
    assert r.status_code == 200, r.text
    for path in (f"/dashboard/offers/{shop.offer_id}", "/dashboard/m/tea-house"):
        html = client.get(path, headers={"Accept-Language": "en"}).text
        assert 'badge badge-expired">Expired' in html, path

"""The receipt lists page through every row (keyset cursors), on the API and the pages:
a busy shop's service requests and its payment codes are never cut at a fixed count."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, signed_in_pages
from receipt_support import make_shop

from relaycode.models import ServiceRequest
from relaycode.web.paging import PAGE_SIZE


def _all(client: TestClient, url: str, token: str, limit: int) -> list[list[int]]:
    """Every page's ids, following next_cursor (bounded: no endless loop on a bug)."""
    pages: list[list[int]] = []
    cursor: str | None = None
    for _ in range(50):
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = client.get(url, params=params, headers=auth(token))
        assert r.status_code == 200, r.text
        pages.append([row["id"] for row in r.json()["items"]])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("next_cursor never ended")


def _ask(client: TestClient, shop: Any, n: int) -> list[int]:
    ids = []
    for i in range(n):
        r = client.post(
            "/api/v1/service-requests",
            headers=auth(shop.alice),
            json={"merchant_id": shop.merchant_id, "description": f"Job {i}"},
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def test_service_requests_and_payment_codes_page_over_the_api(client: TestClient) -> None:
    shop = make_shop(client)
    asked = _ask(client, shop, 5)
    newest_first = sorted(asked, reverse=True)
    for url, token in (
        (f"/api/v1/merchants/{shop.merchant_id}/service-requests", shop.owner),
        ("/api/v1/me/service-requests", shop.alice),
    ):
        assert _all(client, url, token, 2) == [
            newest_first[:2],
            newest_first[2:4],
            newest_first[4:],
        ]
    made = [shop.code_id]
    for i in range(2):
        r = client.post(
            f"/api/v1/merchants/{shop.merchant_id}/payment-codes",
            headers=auth(shop.owner),
            json={"currency": "CNY", "methods": ["wallet"], "label": f"Till {i + 2}"},
        )
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    url = f"/api/v1/merchants/{shop.merchant_id}/payment-codes"
    assert _all(client, url, shop.owner, 2) == [made[:2], made[2:]]  # oldest first
    bad = client.get(url, params={"cursor": "not-a-cursor"}, headers=auth(shop.owner))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_cursor", bad.text


def _ids(html: str) -> list[str]:
    return re.findall(r'data-request="(\d+)"', html)


def test_the_service_request_pages_link_to_older_ones(client: TestClient, app: Any) -> None:
    shop = make_shop(client)
    first_id = _ask(client, shop, 1)[0]
    with app.state.rc.db.transaction() as db:  # more than a page, quickly
        uid = db.get(ServiceRequest, first_id).user_id
        for i in range(PAGE_SIZE):
            db.add(
                ServiceRequest(
                    merchant_id=shop.merchant_id,
                    user_id=uid,
                    description=f"Bulk {i}",
                    status="requested",
                )
            )
    for username, path, anchor in (
        ("cafe-owner", "/dashboard/m/cafe/service-requests", "requests-h"),
        ("alice", "/me/service-requests", "mine-h"),
    ):
        c = signed_in_pages(app, username)
        html = c.get(path).text
        ids = _ids(html)
        assert len(ids) == PAGE_SIZE and str(first_id) not in ids  # newest first
        older = re.search(rf'href="({re.escape(path)}\?cursor=[^"#]+)#{anchor}"', html)
        assert older, f"no link to the older requests on {path}"
        rest = c.get(older.group(1).replace("&amp;", "&"))
        assert rest.status_code == 200 and _ids(rest.text) == [str(first_id)]

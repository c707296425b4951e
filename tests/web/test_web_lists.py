"""Long lists on the pages: a page at a time with "next" links, code search, bulk
withdrawal from the offer page, and the CSV link."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from relaycode.catalog import service as catalog
from relaycode.catalog.schemas import OfferCreate
from relaycode.codes import service as codes
from relaycode.identity import service as identity
from relaycode.identity.schemas import RegisterIn
from relaycode.merchants import service as merchants
from relaycode.models import Code, Merchant, User
from relaycode.web.paging import CODES_PER_PAGE, PAGE_SIZE

CARD = re.compile(r'id="code-([0-9a-f]{32})"')
NEXT = re.compile(r'href="([^"]+)" rel="next"')


def _issue(app: Any, offer_id: int, count: int) -> list[str]:
    state = app.state.rc
    with state.db.transaction() as db:
        offer = catalog.get_offer(db, offer_id)
        return [codes.issue_offer_code(db, state.keyring, offer).id for _ in range(count)]


def _follow(client: TestClient, url: str, pattern: re.Pattern[str]) -> tuple[list[str], int]:
    seen: list[str] = []
    for pages in range(1, 101):  # bounded
        r = client.get(url)
        assert r.status_code == 200, r.text[:300]
        seen += pattern.findall(r.text)
        link = NEXT.search(r.text)
        if link is None:
            return seen, pages
        url = link.group(1).replace("&amp;", "&")
    raise AssertionError("no last page")


def test_offer_page_lists_every_code_a_page_at_a_time(
    pages: Any, client: TestClient, app: Any
) -> None:
    shop = pages.shop()
    ids = _issue(app, shop.offer_id, 260)
    first = client.get(f"/dashboard/offers/{shop.offer_id}")
    assert len(CARD.findall(first.text)) == CODES_PER_PAGE  # not 200 cards on a phone
    assert 'rel="next"' in first.text and 'rel="first"' not in first.text
    seen, count = _follow(client, f"/dashboard/offers/{shop.offer_id}", CARD)
    assert len(seen) == 261 and set(seen) >= set(ids) and len(set(seen)) == 261
    assert count == -(-261 // CODES_PER_PAGE)
    second = client.get(NEXT.findall(first.text)[0].replace("&amp;", "&"))
    assert 'rel="first"' in second.text
    assert f'href="/api/v1/offers/{shop.offer_id}/codes.csv"' in first.text
    assert client.get(f"/dashboard/offers/{shop.offer_id}?cursor=broken").status_code == 400


def test_search_from_the_offer_page(pages: Any, client: TestClient, app: Any) -> None:
    shop = pages.shop()
    ids = _issue(app, shop.offer_id, 40)
    url = f"/dashboard/offers/{shop.offer_id}"
    found = client.get(url, params={"q": shop.code_text})
    assert CARD.findall(found.text) and len(CARD.findall(found.text)) == 1
    assert client.get(url, params={"q": shop.code_text}).text.count("is-revoked") == 0
    by_id = client.get(url, params={"q": ids[7][:10]})
    assert CARD.findall(by_id.text) == [ids[7]]
    none = client.get(url, params={"q": "nothing like a code"})
    assert CARD.findall(none.text) == [] and "No code of this offer matches" in none.text


def test_withdraw_selected_codes(pages: Any, client: TestClient, app: Any) -> None:
    shop = pages.shop()
    ids = _issue(app, shop.offer_id, 5)
    url = f"/dashboard/offers/{shop.offer_id}/codes/revoke"
    page = client.get(f"/dashboard/offers/{shop.offer_id}").text
    assert f'action="{url}"' in page and 'form="bulk-revoke"' in page
    # Without the CSRF field the form does nothing.
    r = client.post(url, data={"codes": ids[:2]}, follow_redirects=False)
    assert r.status_code == 403
    assert _status(app, ids[:2]) == {"active"}

    r = pages.post(url, {"codes": ids[:3]})
    assert r.status_code == 303
    assert _status(app, ids[:3]) == {"revoked"} and _status(app, ids[3:]) == {"active"}
    shown = client.get(r.headers["location"])
    assert "Codes withdrawn: 3." in shown.text
    assert "Codes withdrawn" not in client.get(r.headers["location"]).text  # once

    r = pages.post(url, {})
    assert r.status_code == 303
    assert "No code was selected" in client.get(r.headers["location"]).text


def test_withdraw_selected_refuses_other_offers_codes(
    pages: Any, client: TestClient, app: Any
) -> None:
    shop = pages.shop()
    state = app.state.rc
    with state.db.transaction() as db:
        user = identity.register(
            db, state.passwords, RegisterIn(username="other", password="password123")
        )
        merchant = merchants.create_merchant(db, user, "other", "Other")
        offer = catalog.create_offer(db, merchant, OfferCreate(title="X", price_minor=1))
        foreign = codes.issue_offer_code(db, state.keyring, offer).id
    own = _issue(app, shop.offer_id, 1)
    r = pages.post(f"/dashboard/offers/{shop.offer_id}/codes/revoke", {"codes": [*own, foreign]})
    assert r.status_code == 404
    assert _status(app, [*own, foreign]) == {"active"}


def _status(app: Any, ids: list[str]) -> set[str]:
    with app.state.rc.db.transaction() as db:
        return set(db.scalars(select(Code.status).where(Code.id.in_(ids))))


def test_merchant_offers_devices_and_team_lists_have_pages(
    pages: Any, client: TestClient, app: Any
) -> None:
    pages.shop()
    state = app.state.rc
    with state.db.transaction() as db:
        merchant = db.scalar(select(Merchant).where(Merchant.slug == "tea-house"))
        alice = db.scalar(select(User).where(User.username == "alice"))
        assert merchant is not None and alice is not None
        for n in range(PAGE_SIZE + 3):
            catalog.create_offer(db, merchant, OfferCreate(title=f"Offer {n}", price_minor=n))
            identity.attach_device(db, alice, None, f"Device {n}")
            merchants.create_api_key(db, merchant, f"key-{n}", ["offers:read"])
    offers, _ = _follow(client, "/dashboard/m/tea-house", re.compile(r"/dashboard/offers/(\d+)\""))
    assert len(offers) == PAGE_SIZE + 4 and len(set(offers)) == PAGE_SIZE + 4
    devices, count = _follow(client, "/account/devices", re.compile(r"<strong>(Device \d+)"))
    assert len(set(devices)) == PAGE_SIZE + 3 and count == 2
    keys, count = _follow(client, "/dashboard/m/tea-house/team", re.compile(r"<strong>(key-\d+)"))
    assert len(set(keys)) == PAGE_SIZE + 3 and count == 2

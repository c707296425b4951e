"""What a new user tripped over: prices typed their way, Chinese that says what a code
is, and the merchant's way from their public offer page back to editing it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from relaycode.models import Offer, User

DE = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
EDIT = re.compile(r'href="/dashboard/offers/(\d+)/edit"[^>]*data-edit-offer')


def _price(app: Any, offer_id: int) -> int:
    with app.state.rc.db.transaction() as db:
        offer = db.get(Offer, offer_id)
        assert offer is not None
        return offer.price_minor


def _new_offer(pages: Any, price: str, currency: str = "CNY", **kw: Any) -> Any:
    return pages.post(
        "/dashboard/m/tea-house/offers/new",
        {"title": "Tea", "price": price, "currency": currency},
        **kw,
    )


@pytest.mark.parametrize(
    ("price", "currency", "headers", "minor"),
    [
        ("¥38.5", "CNY", {}, 3850),
        ("38.50", "CNY", {}, 3850),
        ("38", "CNY", {}, 3800),
        ("1,234.50", "CNY", {"Accept-Language": "en-US"}, 123450),
        ("38,50", "EUR", DE, 3850),
        ("38,50 €", "EUR", {"Accept-Language": "fr-FR"}, 3850),
        ("1.234,50", "EUR", DE, 123450),
        ("１２．５", "CNY", {"Accept-Language": "zh-CN"}, 1250),
    ],
)
def test_prices_typed_as_people_type_them(
    pages: Any, app: Any, price: str, currency: str, headers: dict[str, str], minor: int
) -> None:
    pages.shop()
    r = _new_offer(pages, price, currency, headers=headers)
    assert r.status_code == 303, r.text
    assert _price(app, int(r.headers["location"].rsplit("/", 1)[-1])) == minor


@pytest.mark.parametrize(
    ("price", "currency", "headers", "message"),
    [
        ("38.505", "CNY", {}, "does not have that many decimals"),
        ("1.5", "JPY", {}, "does not have that many decimals"),
        ("38,50", "CNY", {}, "can be read two ways here (3,850 / 38.5)"),
        ("38.50", "EUR", DE, "can be read two ways here (3.850 / 38,5)"),
    ],
)
def test_ambiguous_or_too_precise_prices_are_refused(
    pages: Any, price: str, currency: str, headers: dict[str, str], message: str
) -> None:
    pages.shop()
    r = _new_offer(pages, price, currency, headers=headers)
    assert r.status_code == 422
    assert message in r.text


def test_a_german_reader_sees_and_edits_german_numbers(
    pages: Any, client: TestClient, app: Any
) -> None:
    shop = pages.shop(price="1234.50")
    edit = client.get(f"/dashboard/offers/{shop.offer_id}/edit", headers=DE)
    assert 'value="1234,50"' in edit.text  # the page is English, the numbers German
    assert "1.234,50\xa0CN¥" in client.get(f"/offers/{shop.offer_id}", headers=DE).text
    form = {"title": "Green tea", "price": "1234,50", "currency": "CNY", "version": "1"}
    r = pages.post(f"/dashboard/offers/{shop.offer_id}/edit", form, headers=DE)
    assert r.status_code == 303
    assert _price(app, shop.offer_id) == 123450  # saved back unchanged
    assert "CN¥1,234.50" in client.get(f"/offers/{shop.offer_id}").text


def test_chinese_says_a_code_is_valid_not_on_sale(pages: Any, client: TestClient) -> None:
    shop = pages.shop()
    admin = client.get(f"/dashboard/offers/{shop.offer_id}?lang=zh-CN").text
    cards = admin[admin.index('class="codes-list"') :]
    assert '<span class="badge badge-active">有效</span>' in cards
    assert "在售" not in cards  # that is what an offer on sale is
    head = admin[: admin.index('class="codes"')]
    assert '<span class="badge badge-active">在售</span>' in head
    public = client.get(f"/C/{shop.token}?seen=1&lang=zh-CN").text
    assert "正品" not in public and "真码" in public  # genuine code, not genuine goods


def test_owners_find_edit_on_their_public_offer_page(
    pages: Any, client: TestClient, app: Any
) -> None:
    shop = pages.shop()
    for url in (f"/offers/{shop.offer_id}", f"/C/{shop.token}?seen=1"):
        assert EDIT.findall(client.get(url).text) == [str(shop.offer_id)], url
    with TestClient(app) as anonymous:
        assert not EDIT.search(anonymous.get(f"/offers/{shop.offer_id}").text)


def _member(app: Any, pages: Any, username: str, role: str) -> TestClient:
    other = TestClient(app)
    other.get("/")
    form = {"csrf": other.cookies["rc_csrf"], "username": username}
    form |= {"password": "password123", "password2": "password123"}
    assert other.post("/register", data=form, follow_redirects=False).status_code == 303
    if role:
        r = pages.post("/dashboard/m/tea-house/team/members", {"username": username, "role": role})
        assert r.status_code == 303
    return other


@pytest.mark.parametrize(("role", "sees"), [("staff", True), ("verifier", False), ("", False)])
def test_edit_link_follows_the_role(pages: Any, app: Any, role: str, sees: bool) -> None:
    shop = pages.shop()
    other = _member(app, pages, "sam", role)
    assert bool(EDIT.search(other.get(f"/offers/{shop.offer_id}").text)) is sees


def test_operators_see_the_edit_link(pages: Any, app: Any) -> None:
    shop = pages.shop()
    operator = _member(app, pages, "root", "")
    with app.state.rc.db.transaction() as db:
        user = db.scalar(select(User).where(User.username == "root"))
        assert user is not None
        user.is_operator = True
    assert EDIT.search(operator.get(f"/offers/{shop.offer_id}").text)

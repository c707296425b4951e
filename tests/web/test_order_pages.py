"""The order pages through the TestClient, the way the HTML forms use them: the buy form
of offer and share pages, checkout (one order per form, refusals shown on the form), an
order's page, "my orders", and the merchant's orders with fulfil and refunds."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from commerce_world import PASSWORD, PRICE, SLUG, World, seed
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from relaycode.models import Order

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
ORDERS = f"/dashboard/m/{SLUG}/orders"


def _csrf(client: TestClient) -> str:
    if not any(k.endswith("rc_csrf") for k in client.cookies):
        client.get("/")
    return next(v for k, v in client.cookies.items() if k.endswith("rc_csrf"))


def _login(client: TestClient, username: str) -> None:
    form = {"username": username, "password": PASSWORD, "csrf": _csrf(client), "next": "/"}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf": _csrf(client), **data}, follow_redirects=False)


def _orders(app: Any) -> list[Order]:
    with app.state.rc.db.transaction() as db:
        rows = list(db.scalars(select(Order).order_by(Order.id)))
        db.expunge_all()
        return rows


def _buy_fields(page: str) -> dict[str, str]:
    key = KEY.search(page)
    assert key, page
    code = re.search(r'name="code" value="([^"]+)"', page)
    offer = re.search(r'name="offer_id" value="(\d+)"', page)
    back = re.search(r'name="back" value="([^"]*)"', page)
    assert code and offer and back
    return {
        "code": html.unescape(code.group(1)),
        "offer_id": offer.group(1),
        "idempotency_key": key.group(1),
        "back": html.unescape(back.group(1)),
        "quantity": "1",
        "payment_method": "wallet",
    }


@pytest.fixture
def world(app: Any) -> World:
    return seed(app.state.rc)


def test_signed_out_the_buy_button_leads_to_sign_in_and_back(
    client: TestClient, world: World
) -> None:
    page = client.get(f"/C/{world.token}").text
    assert "data-buy-form" not in page
    link = re.search(r'href="(/login\?next=[^"]+)" data-action="buy"', page)
    assert link, page
    target = html.unescape(link.group(1))
    assert "seen%3D1" in target and target.endswith("%23buy")


def test_the_form_offers_the_methods_a_provider_takes(client: TestClient, app: Any) -> None:
    # card is listed by the offer but Stripe is not configured here: not offered.
    w = seed(app.state.rc, methods=("card", "wallet"))
    _login(client, "bob")
    page = client.get(f"/offers/{w.offer_id}").text
    assert 'name="payment_method" value="wallet"' in page
    assert 'value="card"' not in page
    assert "data-buy-address" not in page  # not physical goods
    assert 'name="code" value="' + html.escape(w.code_text) + '"' in page


def test_buying_on_a_share_page_credits_the_sharer_once_per_form(
    client: TestClient, app: Any, world: World
) -> None:
    _login(client, "alice")
    share = client.post(
        "/api/v1/shares", json={"code": world.code_text}, headers={"X-CSRF-Token": _csrf(client)}
    )
    assert share.status_code == 201, share.text
    child = share.json()["code"]
    client.post("/logout", data={"csrf": _csrf(client)})
    _login(client, "bob")
    page = client.get(f"/C/{child.rsplit('/', 1)[-1]}").text
    assert "Alice" in re.search(r"data-buy-via>([^<]*)<", page).group(1)  # type: ignore[union-attr]
    fields = _buy_fields(page)
    assert fields["code"] == child
    first = _post(client, "/checkout", fields)
    assert first.status_code == 303, first.text[:500]
    again = _post(client, "/checkout", fields)  # a double submit: the same order
    assert again.headers["location"] == first.headers["location"]
    (order,) = _orders(app)
    assert first.headers["location"] == f"/orders/{order.id}"
    assert order.status == "paid" and order.amount_minor == PRICE
    assert order.referrer_chain and order.referrer_chain[0]["code_id"] == order.attributed_code_id
    shown = client.get(f"/orders/{order.id}?lang=en").text
    assert "CN¥128.00" in shown and "Paid" in shown and "Alice" in shown
    zh = client.get(f"/orders/{order.id}?lang=zh-CN").text
    assert "¥128.00" in zh and "已付款" in zh
    mine = client.get("/me/orders?lang=en").text
    assert f'href="/orders/{order.id}"' in mine and "1 × Longjing" in mine


def test_a_short_wallet_shows_the_form_again_and_leaves_no_order(
    client: TestClient, app: Any
) -> None:
    w = seed(app.state.rc, topup=1000)
    _login(client, "bob")
    fields = _buy_fields(client.get(f"/offers/{w.offer_id}").text)
    r = _post(client, "/checkout?lang=en", fields)
    assert r.status_code == 409
    assert "does not hold enough" in r.text
    assert fields["idempotency_key"] in r.text  # the same form, to send again after a top-up
    assert _orders(app) == []
    r = _post(client, "/checkout", {**fields, "quantity": "0"})
    assert r.status_code == 422 and "data-buy-form" in r.text


def test_physical_goods_need_a_delivery_address(client: TestClient, app: Any, world: World) -> None:
    _login(client, "bob")
    page = client.get(f"/offers/{world.physical_offer_id}").text
    assert "data-buy-address" in page and 'name="address_country"' in page
    fields = _buy_fields(page)
    r = _post(client, "/checkout?lang=en", fields)
    assert r.status_code == 422 and "Fill in the delivery address" in r.text
    address = {
        "address_name": "Bob Li",
        "address_phone": "+86 139 0000 0000",
        "address_line1": "1 West Lake Road",
        "address_city": "Hangzhou",
        "address_country": "cn",
    }
    r = _post(client, "/checkout", {**fields, **address})
    assert r.status_code == 303, r.text[:500]
    (order,) = _orders(app)
    assert order.delivery_address and order.delivery_address["country"] == "CN"
    assert "1 West Lake Road" in client.get(r.headers["location"]).text


def test_an_order_is_its_buyers_alone(client: TestClient, app: Any, world: World) -> None:
    _login(client, "bob")
    r = _post(client, "/checkout", _buy_fields(client.get(f"/offers/{world.offer_id}").text))
    path = r.headers["location"]
    client.post("/logout", data={"csrf": _csrf(client)})
    assert client.get(path, follow_redirects=False).status_code == 303  # sign in first
    _login(client, "carol")
    assert client.get(path).status_code == 404
    assert client.get("/orders/99999999999999999999").status_code in (404, 422)


def test_the_merchant_fulfils_and_refunds(client: TestClient, app: Any, world: World) -> None:
    _login(client, "bob")
    for _ in range(2):
        fields = _buy_fields(client.get(f"/offers/{world.offer_id}").text)
        assert _post(client, "/checkout", fields).status_code == 303
    first, second = _orders(app)
    client.post("/logout", data={"csrf": _csrf(client)})
    _login(client, "merchant")
    listed = client.get(f"{ORDERS}?lang=en")
    assert listed.status_code == 200
    assert listed.text.count("data-order=") == 2 and "Bob" in listed.text
    csv_url = f"/api/v1/merchants/{world.merchant_id}/orders.csv"
    assert f'href="{csv_url}"' in listed.text
    assert 'href="/dashboard/m/spring-tea/orders"' in client.get(f"/dashboard/m/{SLUG}").text

    r = _post(client, f"{ORDERS}/{first.id}/fulfil", {"back": "list"})
    assert r.status_code == 303 and r.headers["location"] == ORDERS
    assert f"Order {first.id} is marked fulfilled" in client.get(f"{ORDERS}?lang=en").text
    fulfilled = client.get(f"{ORDERS}?status=fulfilled").text
    assert f'data-order="{first.id}"' in fulfilled and f'data-order="{second.id}"' not in fulfilled

    detail = client.get(f"{ORDERS}/{second.id}?lang=en").text
    key = re.search(r'name="idempotency_key" value="([^"]+-part)"', detail)
    assert key and "Refundable: CN¥128.00" in detail
    part_key = key.group(1)
    refund = f"{ORDERS}/{second.id}/refund"
    bad = _post(client, refund + "?lang=en",
                {"kind": "partial", "amount": "twelve", "idempotency_key": part_key})  # fmt: skip
    assert bad.status_code == 422 and "Type an amount to refund" in bad.text
    too_much = _post(client, refund + "?lang=en",
                     {"kind": "partial", "amount": "500", "idempotency_key": part_key})  # fmt: skip
    assert too_much.status_code == 409, too_much.text[:500]
    part = _post(client, refund,
                 {"kind": "partial", "amount": "28.00", "idempotency_key": part_key})  # fmt: skip
    assert part.status_code == 303, part.text[:500]
    shown = client.get(part.headers["location"] + "?lang=en").text
    assert f"Refunded CN¥28.00 on order {second.id}" in shown
    assert "Refundable: CN¥100.00" in shown
    full = _post(client, f"{ORDERS}/{second.id}/refund",
                 {"kind": "full", "idempotency_key": "page-full-1"})  # fmt: skip
    assert full.status_code == 303
    after = {o.id: o for o in _orders(app)}
    assert after[second.id].status == "refunded" and after[second.id].amount_refunded_minor == PRICE
    assert after[first.id].status == "fulfilled"
    csv = client.get(csv_url)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert str(second.id) in csv.text


def test_only_the_merchants_people_see_its_orders(
    client: TestClient, app: Any, world: World
) -> None:
    _login(client, "bob")
    assert _post(client, "/checkout", _buy_fields(client.get(f"/offers/{world.offer_id}").text))
    (order,) = _orders(app)
    assert client.get(ORDERS).status_code in (403, 404)
    assert client.get(f"{ORDERS}/{order.id}").status_code in (403, 404)
    r = _post(client, f"{ORDERS}/{order.id}/refund", {"kind": "full", "idempotency_key": "x1"})
    assert r.status_code in (403, 404)
    assert _orders(app)[0].status == "paid"


def test_one_order_per_key_counts_rows(client: TestClient, app: Any, world: World) -> None:
    _login(client, "bob")
    fields = _buy_fields(client.get(f"/offers/{world.offer_id}").text)
    for _ in range(3):
        assert _post(client, "/checkout", fields).status_code == 303
    with app.state.rc.db.transaction() as db:
        assert db.scalar(select(func.count()).select_from(Order)) == 1
    other = _post(client, "/checkout", {**fields, "quantity": "2"})
    assert other.status_code == 422 and "idempotency" not in other.headers.get("location", "")

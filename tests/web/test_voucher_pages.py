"""The payment-code and service-request pages (web/paycode_pages.py, web/service_pages.py,
web/my_service_requests.py): the team sees them, owners and staff act, outsiders are
refused as on every dashboard page; a completed request's voucher reaches its holder;
every bad input is the form again with its reason (4xx), never a 500."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, register, signed_in_pages
from receipt_support import make_shop, pay
from sqlalchemy import func, select

from relaycode.models import Credential, PaymentCode, ServiceRequest

CODES = "/dashboard/m/cafe/payment-codes"
REQUESTS = "/dashboard/m/cafe/service-requests"
MINE = "/me/service-requests"


def _browser(app: Any, username: str) -> TestClient:
    return signed_in_pages(app, username, raise_server_exceptions=False)


def _post(c: TestClient, path: str, data: dict[str, Any]) -> Any:
    return c.post(path, data={"csrf": c.cookies["rc_csrf"], **data}, follow_redirects=False)


def _count(app: Any, model: Any) -> int:
    with app.state.rc.db.transaction() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _world(client: TestClient) -> dict[str, Any]:
    """The cafe (owner, a verifier) plus a staff member, an outsider and an offer."""
    shop = make_shop(client)
    register(client, "cafe-staff")
    register(client, "mallory")
    r = client.put("/api/v1/merchants/cafe/members", json={"username": "cafe-staff",
                   "role": "staff"}, headers=auth(shop.owner))  # fmt: skip
    assert r.status_code in (200, 201), r.text
    r = client.post("/api/v1/merchants/cafe/offers", json={"title": "Espresso machine service",
                    "price_minor": 5000, "currency": "CNY"}, headers=auth(shop.owner))  # fmt: skip
    assert r.status_code == 201, r.text
    return {"shop": shop, "offer_id": r.json()["id"]}


def test_the_pages_for_the_team_and_refusals_for_others(client: TestClient, app: Any) -> None:
    _world(client)
    owner, staff = _browser(app, "cafe-owner"), _browser(app, "cafe-staff")
    teller, mallory = _browser(app, "cafe-teller"), _browser(app, "mallory")
    board = owner.get("/dashboard/m/cafe")
    assert f'href="{CODES}"' in board.text and f'href="{REQUESTS}"' in board.text
    for c in (owner, staff):
        for path, form in (
            (CODES, "data-new-payment-code"),
            (REQUESTS, "data-new-service-request"),
        ):
            r = c.get(path)
            assert r.status_code == 200 and form in r.text, (path, r.status_code)
    for path in (CODES, REQUESTS):  # a verifier reads, without the forms
        r = teller.get(path)
        assert r.status_code == 200 and "data-new-" not in r.text
        assert mallory.get(path).status_code == 403
        assert owner.get(path.replace("/cafe/", "/nowhere/")).status_code == 404
        r = TestClient(app).get(path, follow_redirects=False)
        assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")
    made = {"label": "Till 1", "currency": "CNY", "methods": "wallet"}
    assert _post(teller, CODES, made).status_code == 403
    assert _post(mallory, CODES, made).status_code == 403
    assert _post(mallory, REQUESTS, {"user": "alice", "description": "x"}).status_code == 403
    assert _post(teller, REQUESTS, {"user": "alice", "description": "x"}).status_code == 403
    assert _count(app, ServiceRequest) == 0
    assert owner.get(MINE).status_code == 200


def test_make_a_payment_code_see_its_qr_and_withdraw_it(client: TestClient, app: Any) -> None:
    world = _world(client)
    staff = _browser(app, "cafe-staff")
    before = _count(app, PaymentCode)
    r = _post(staff, CODES, {"label": "Till 2", "currency": "CNY", "methods": ["wallet"]})
    assert r.status_code == 303, r.text[:300]
    shown = staff.get(r.headers["location"])
    found = re.search(r'data-payment-code="(\d+)" data-status="active"', shown.text)
    assert found and "Till 2" in shown.text and 'data-notice="made"' in shown.text
    pc_id = found.group(1)
    assert f"/api/v1/payment-codes/{pc_id}/image.svg" in shown.text
    assert f"/api/v1/payment-codes/{pc_id}/image.pdf" in shown.text
    svg = staff.get(f"/api/v1/payment-codes/{pc_id}/image.svg")  # the session cookie opens it
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg")
    assert staff.get(f"/api/v1/payment-codes/{pc_id}/image.pdf").content.startswith(b"%PDF")
    assert _count(app, PaymentCode) == before + 1
    # Withdrawn: the list says so, a payment through it is refused (410).
    text = client.get(f"/api/v1/payment-codes/{pc_id}", headers=auth(world["shop"].owner))
    r = _post(staff, f"{CODES}/{pc_id}/withdraw", {})
    assert r.status_code == 303
    shown = staff.get(CODES)
    assert f'data-payment-code="{pc_id}" data-status="revoked"' in shown.text
    assert 'data-notice="withdrawn"' in shown.text
    paid = pay(client, world["shop"].alice, text.json()["text"], 100, "after-withdraw")
    assert paid.status_code == 410 and paid.json()["error"]["code"] == "code_revoked"
    again = _post(staff, f"{CODES}/{pc_id}/withdraw", {})
    assert again.status_code == 303
    assert 'data-notice="already"' in staff.get(CODES).text
    mallory = _browser(app, "mallory")
    assert _post(mallory, f"{CODES}/{pc_id}/withdraw", {}).status_code == 403
    assert _post(staff, f"{CODES}/999999/withdraw", {}).status_code == 404


def test_payment_code_form_refusals(client: TestClient, app: Any) -> None:
    _world(client)
    owner = _browser(app, "cafe-owner")
    before = _count(app, PaymentCode)
    for form, message in (
        ({"currency": "CNY", "methods": "card"}, "payment methods shown"),  # not settled here
        ({"currency": "CNY"}, "payment methods shown"),
        ({"currency": "QQQ", "methods": "wallet"}, "Choose a currency"),
        ({"currency": "cn", "methods": "wallet"}, "Choose a currency"),
        ({"currency": "CNY", "methods": "wallet", "label": "x" * 101}, "at most 100"),
        ({"currency": "CNY", "methods": "wallet", "label": "a\x07b"}, "one line"),
    ):
        r = _post(owner, CODES, form)
        assert r.status_code == 422, (form, r.status_code, r.text[:300])
        assert message in r.text and 'class="alert alert-error"' in r.text, form
    assert _count(app, PaymentCode) == before
    zh = _post(owner, CODES + "?lang=zh-CN", {"currency": "CNY"})
    assert zh.status_code == 422 and "请至少选择一种" in zh.text


def test_record_and_complete_a_request_the_holder_gets_the_voucher(
    client: TestClient, app: Any
) -> None:
    world = _world(client)
    staff, alice = _browser(app, "cafe-staff"), _browser(app, "alice")
    r = _post(staff, REQUESTS, {"user": "alice", "offer_id": str(world["offer_id"]),
                                "description": "Descale, new gasket"})  # fmt: skip
    assert r.status_code == 303, r.text[:300]
    listed = staff.get(r.headers["location"])
    req = re.search(r'data-request="(\d+)"', listed.text)
    assert req and 'data-notice="recorded"' in listed.text
    assert "Espresso machine service" in listed.text and "alice" in listed.text
    rid = req.group(1)
    assert 'data-request-status="requested"' in alice.get(MINE).text
    done = _post(staff, f"{REQUESTS}/{rid}/complete", {})
    assert done.status_code == 303
    shown = staff.get(REQUESTS)
    voucher = re.search(r'data-voucher="([0-9a-f]{32})"', shown.text)
    assert voucher and 'data-notice="completed"' in shown.text
    cid = voucher.group(1)
    assert f"data-notice-voucher>{cid}<" in shown.text
    # The holder: the request links to its voucher, which is among their credentials.
    mine = alice.get(MINE)
    assert (
        f'data-voucher-link="{cid}"' in mine.text and f'href="/me/credentials/{cid}"' in mine.text
    )
    assert f'data-credential="{cid}"' in alice.get("/me/credentials").text
    assert alice.get(f"/me/credentials/{cid}").status_code == 200
    # Completing again answers the same voucher; none more.
    vouchers = _count(app, Credential)
    assert _post(staff, f"{REQUESTS}/{rid}/complete", {}).status_code == 303
    assert (
        'data-notice="already"' in staff.get(REQUESTS).text and _count(app, Credential) == vouchers
    )
    # Not the team's: refused like the pages (403), or not this merchant's (404).
    assert _post(_browser(app, "mallory"), f"{REQUESTS}/{rid}/complete", {}).status_code == 403
    assert _post(_browser(app, "cafe-teller"), f"{REQUESTS}/{rid}/complete", {}).status_code == 403
    assert _post(staff, f"{REQUESTS}/999999/complete", {}).status_code == 404


def test_service_request_form_refusals(client: TestClient, app: Any) -> None:
    world = _world(client)
    token = register(client, "other-owner")
    other = client.post("/api/v1/merchants", json={"slug": "other", "name": "Other"},
                        headers=auth(token))  # fmt: skip
    assert other.status_code == 201
    theirs = client.post("/api/v1/merchants/other/offers", json={"title": "Elsewhere",
                         "price_minor": 100, "currency": "CNY"}, headers=auth(token))  # fmt: skip
    owner = _browser(app, "cafe-owner")
    for form, status, message in (
        ({"user": "nobody", "description": "x"}, 404, "no user with that username"),
        ({"user": "", "description": "x"}, 422, "Enter a username"),
        ({"user": "bad name!", "description": "x"}, 422, "Enter a username"),
        ({"user": "alice", "description": "  "}, 422, "describe the service"),
        ({"user": "alice", "description": "x" * 2001}, 422, "at most 2000"),
        ({"user": "alice", "description": "a\x00b"}, 422, "control characters"),
        ({"user": "alice", "offer_id": "abc"}, 422, "Choose an offer"),
        ({"user": "alice", "offer_id": "99999999999999"}, 422, "Choose an offer"),
        ({"user": "alice", "offer_id": str(theirs.json()["id"])}, 404, "not one of this"),
    ):
        r = _post(owner, REQUESTS, form)
        assert r.status_code == status, (form, r.status_code, r.text[:300])
        assert message in r.text and 'class="alert alert-error"' in r.text, form
        assert form.get("description", "")[:50] in r.text  # typed values are kept
    assert _count(app, ServiceRequest) == 0
    assert world["offer_id"]


def test_the_user_asks_for_a_service(client: TestClient, app: Any) -> None:
    world = _world(client)
    alice = _browser(app, "alice")
    first = alice.get(MINE)
    assert first.status_code == 200 and "data-choose-merchant" in first.text
    assert alice.get(MINE + "?merchant=nowhere").status_code == 404
    chosen = alice.get(MINE + "?merchant=CAFE")
    assert chosen.status_code == 200 and 'data-chosen-merchant="cafe"' in chosen.text
    assert f'value="{world["offer_id"]}"' in chosen.text  # its offers to choose from
    r = _post(alice, MINE, {"merchant": "cafe", "offer_id": "", "description": "Fix my grinder"})
    assert r.status_code == 303, r.text[:300]
    shown = alice.get(r.headers["location"])
    assert 'data-notice="asked"' in shown.text and "Fix my grinder" in shown.text
    assert 'name="merchant_pick"' in shown.text and 'value="cafe"' in shown.text  # known now
    picked = alice.get(MINE + "?merchant_pick=cafe&merchant=")
    assert 'data-chosen-merchant="cafe"' in picked.text
    for form, status in (
        ({"merchant": "nowhere", "description": "x"}, 404),
        ({"merchant": "", "description": "x"}, 404),
        ({"merchant": "cafe", "description": ""}, 422),
        ({"merchant": "cafe", "offer_id": "x", "description": "y"}, 422),
        ({"merchant": "cafe", "offer_id": "999999"}, 404),
    ):
        r = _post(alice, MINE, form)
        assert r.status_code == status, (form, r.status_code, r.text[:300])
        assert 'class="alert alert-error"' in r.text
    assert _count(app, ServiceRequest) == 1
    staff = _browser(app, "cafe-staff")
    assert "Fix my grinder" in staff.get(REQUESTS).text

"""A signed-in GET writes nothing, so it never opens a writable transaction.

On SQLite every writable transaction starts behind the process-wide writer gate
(db/engine.py), so read-only pages using the writable ``DbDep`` (directly, or through
the access dependencies of merchants/deps.py) queued every page view behind writers.
This walks every GET route of the API and the pages, signed in as the merchant's owner,
and counts the transactions begun by the app's writable sessions while serving them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register
from PIL import Image
from sqlalchemy import event

from relaycode.analytics import endpoints as analytics_endpoints
from relaycode.catalog import endpoints as catalog_endpoints
from relaycode.codes import endpoints as code_endpoints
from relaycode.codes import list_endpoints
from relaycode.codes.credential_text import decode_text, signed_text
from relaycode.credentials import credential_endpoints
from relaycode.credentials import endpoints as credential_template_endpoints
from relaycode.credentials import offline_endpoints as credential_offline_endpoints
from relaycode.games import endpoints as game_endpoints
from relaycode.identity import endpoints as identity_endpoints
from relaycode.identity import phone_endpoints
from relaycode.merchants import endpoints as merchant_endpoints
from relaycode.notify import endpoints as notify_endpoints
from relaycode.payments import endpoints as wallet_endpoints
from relaycode.payments import wallet as wallet_service
from relaycode.receipts import endpoints as receipts_endpoints
from relaycode.referrals import commission_endpoints, withdrawal_endpoints
from relaycode.referrals import endpoints as referral_endpoints
from relaycode.web import (
    analytics_pages,
    auth_pages,
    checkout,
    commission_pages,
    credential_admin,
    credential_conflicts,
    credential_link,
    credential_pages,
    dashboard,
    game_pages,
    inbox_page,
    merchant_orders,
    my_service_requests,
    offer_form,
    offline,
    order_pages,
    pages,
    paycode_pages,
    phone_pages,
    public,
    receipt_pages,
    service_pages,
    shares,
    shop,
    station,
    team,
    wallet,
    webhook_pages,
    withdrawal_pages,
)

ROUTERS = [
    ("/api/v1", catalog_endpoints.router),
    ("/api/v1", code_endpoints.router),
    ("/api/v1", list_endpoints.router),
    ("/api/v1", identity_endpoints.router),
    ("/api/v1", merchant_endpoints.router),
    ("/api/v1", referral_endpoints.router),
    ("/api/v1", commission_endpoints.router),
    ("/api/v1", wallet_endpoints.router),
    *(
        ("", m.router)
        for m in (
            pages,
            auth_pages,
            dashboard,
            offer_form,
            public,
            shares,
            shop,
            team,
            commission_pages,
            wallet,
            offline,
        )
    ),
    ("/api/v1", notify_endpoints.router),
    *(("", m.router) for m in (inbox_page, webhook_pages)),
    ("/api/v1", withdrawal_endpoints.router),
    ("", withdrawal_pages.router),
    *(("", m.router) for m in (checkout, order_pages, merchant_orders)),
    ("/api/v1", analytics_endpoints.router),
    ("", analytics_pages.router),
    ("/api/v1", game_endpoints.router),
    ("", game_pages.router),
    ("/api/v1", phone_endpoints.router),
    ("", phone_pages.router),
    ("/api/v1", credential_template_endpoints.router),
    ("/api/v1", credential_endpoints.router),
    ("/api/v1", credential_offline_endpoints.router),
    ("", station.router),
    *(("", m.router) for m in (credential_pages, credential_admin, credential_conflicts)),
    ("/api/v1", receipts_endpoints.router),
    ("", receipt_pages.router),
    ("", credential_link.router),
    *(("", m.router) for m in (paycode_pages, service_pages, my_service_requests)),
]
# A live event stream never ends: tests/notify/test_sse.py checks it reads only.
STREAMS = {"/api/v1/me/events"}


def _get_paths() -> Iterator[str]:
    for prefix, router in ROUTERS:
        for route in router.routes:
            path = prefix + getattr(route, "path", "")
            is_get = isinstance(route, APIRoute) and "GET" in (route.methods or ())
            if is_get and path not in STREAMS:
                yield path


def _web_login(client: TestClient) -> None:
    client.get("/login")
    csrf = next(v for k, v in client.cookies.items() if k.endswith("rc_csrf"))
    form = {"username": "alice", "password": "correct horse 1", "csrf": csrf, "next": "/"}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code in (302, 303), r.text[:300]


def test_signed_in_gets_open_no_writable_transaction(client: TestClient, app: Any) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    text = issue(client, token, offer["id"])
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    image = client.put(
        f"/api/v1/offers/{offer['id']}/image", content=buf.getvalue(), headers=auth(token)
    )
    codes = client.get(f"/api/v1/offers/{offer['id']}/codes", headers=auth(token)).json()
    mid = offer["merchant_id"]
    hook = client.post(
        f"/api/v1/merchants/{mid}/webhooks",
        json={"url": "https://hooks.example.com/in", "events": ["order.paid"]},
        headers=auth(token),
    ).json()
    client.post(f"/api/v1/merchants/{mid}/webhooks/{hook['id']}/test", headers=auth(token))
    client.post("/api/v1/me/inbox/test", json={}, headers=auth(token))
    values = {
        "merchant_id": str(mid),
        "webhook_id": str(hook["id"]),
        "slug": "shop",
        "offer_id": str(offer["id"]),
        "code_id": codes["items"][0]["id"],
        "token": text.rsplit("/", 1)[-1],
        "fmt": "png",
        "name": image.json()["image_url"].rsplit("/", 1)[-1],
    }
    with app.state.rc.db.transaction() as s:  # a wallet with a history to read
        wallet_service.grant_to(s, "alice", 5000, "CNY")
    order = client.post(
        "/api/v1/orders",
        json={"code": text, "quantity": 1, "payment_method": "wallet"},
        headers={**auth(token), "Idempotency-Key": "read-only-gets"},
    )
    assert order.status_code == 201, order.text
    values["order_id"] = str(order.json()["id"])
    tpl = client.post(
        f"/api/v1/merchants/{mid}/credential-templates",
        json={"kind": "ticket", "name": "Ticket", "forms": ["reference", "signed", "rotating"]},
        headers=auth(token),
    ).json()
    item = client.post(
        f"/api/v1/credential-templates/{tpl['id']}/items",
        json={"holder": "alice"},
        headers=auth(token),
    ).json()
    held = client.post("/api/v1/claims", json={"text": item["text"]}, headers=auth(token))
    assert held.status_code == 201, held.text
    values.update(template_id=str(tpl["id"]), item_id=str(item["id"]),
                  credential_id=held.json()["id"])  # fmt: skip
    shown = client.get(
        f"/api/v1/credentials/{held.json()['id']}/presentation?form=signed", headers=auth(token)
    ).json()["text"]
    link = signed_text(decode_text(shown).raw, "url", host="RC.EXAMPLE.COM")
    values["body"] = link.rsplit("/", 1)[-1]  # the /V/ and /P/ pages' path
    paycode = client.post(f"/api/v1/merchants/{mid}/payment-codes", json={}, headers=auth(token))
    asked = client.post(
        f"/api/v1/merchants/{mid}/service-requests",
        json={"user": "alice", "description": "read-only"},
        headers=auth(token),
    )
    assert paycode.status_code == 201 and asked.status_code == 201, (paycode.text, asked.text)
    paid = client.post(
        "/api/v1/payment-codes/pay",
        json={"code": paycode.json()["text"], "amount": 100},
        headers={**auth(token), "Idempotency-Key": "read-only-pay"},
    )
    assert paid.status_code == 201, paid.text
    values.update(payment_code_id=str(paycode.json()["id"]), request_id=str(asked.json()["id"]),
                  payment_id=str(paid.json()["payment"]["id"]))  # fmt: skip
    _web_login(client)
    paths = sorted(set(_get_paths()))
    assert "/dashboard/offers/{offer_id}" in paths and "/api/v1/merchants/{slug}/offers" in paths

    writes: list[str] = []
    current = [""]

    def began(_session: Any, _tx: Any, _conn: Any) -> None:
        writes.append(current[0])

    makers = app.state.rc.db.sessionmaker
    event.listen(makers, "after_begin", began)
    try:
        served = {}
        for template in paths:
            path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
            current[0] = path
            r = client.get(path, headers=auth(token) if path.startswith("/api/") else {})
            served[path] = r.status_code
            assert r.status_code < 500, (path, r.status_code)
    finally:
        event.remove(makers, "after_begin", began)
    # The main pages and lists were really served (not redirected to sign in).
    oid = offer["id"]
    main = ["/dashboard", "/dashboard/m/shop", f"/dashboard/offers/{oid}", "/dashboard/m/shop/team",
            f"/dashboard/offers/{oid}/edit", "/account/devices", "/api/v1/merchants",
            "/dashboard/m/shop/commissions", f"/dashboard/offers/{oid}/commissions",
            "/api/v1/merchants/shop/commission-rules", f"/api/v1/offers/{oid}/commission-rules",
            "/inbox", "/dashboard/m/shop/webhooks", f"/dashboard/m/shop/webhooks/{hook['id']}",
            "/api/v1/me/inbox", f"/api/v1/merchants/{mid}/webhooks",
            "/api/v1/merchants/shop/offers", f"/api/v1/offers/{oid}/codes", "/me/codes",
            "/shop/shop", f"/C/{values['token']}/qr.png", "/api/v1/me/shares",
            "/wallet", "/api/v1/me/wallet", "/api/v1/me/wallet/entries",
            "/api/v1/me/commissions", "/api/v1/me/commission-balances",
            "/api/v1/me/withdrawals",
            "/me/orders", f"/orders/{values['order_id']}", "/dashboard/m/shop/orders",
            f"/dashboard/m/shop/orders/{values['order_id']}",
            "/dashboard/m/shop/analytics", f"/dashboard/offers/{oid}/tree", "/me/earnings",
            f"/api/v1/merchants/{mid}/analytics", f"/api/v1/offers/{oid}/analytics",
            f"/api/v1/offers/{oid}/referral-tree", "/api/v1/me/earnings",
            f"/api/v1/merchants/{mid}/analytics.csv", "/api/v1/me/earnings.csv",
            f"/dashboard/offers/{oid}/game",
            "/me/credentials", f"/me/credentials/{values['credential_id']}",
            "/dashboard/m/shop/credentials", f"/dashboard/m/shop/credentials/{tpl['id']}",
            f"/api/v1/merchants/{mid}/payment-codes", f"/api/v1/merchants/{mid}/service-requests",
            f"/api/v1/payment-codes/{values['payment_code_id']}", "/api/v1/me/service-requests",
            f"/V/{values['body']}", "/dashboard/m/shop/payment-codes",
            "/dashboard/m/shop/service-requests", "/me/service-requests",
            "/sw.js", "/manifest.webmanifest"]  # fmt: skip
    for path in main:
        assert served[path] == 200, (path, served[path])
    assert writes == [], sorted(set(writes))

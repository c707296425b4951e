"""The receipts pages (web/receipt_pages.py): the pay form pays once per render, the
receipt is its holder's only, and a verification link is checked by the verifier it
names; every refusal is a page with its reason, never a 500."""

from __future__ import annotations

import re
import time
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, register, signed_in_pages
from receipt_support import make_shop, pay
from sqlalchemy import func, select

from relaycode.models import ShopPayment
from relaycode.payments import wallet
from relaycode.receipts import links

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _browser(app: Any, username: str) -> TestClient:
    return signed_in_pages(app, username, raise_server_exceptions=False)


def _post(c: TestClient, path: str, data: dict[str, str]) -> Any:
    return c.post(path, data={"csrf": c.cookies["rc_csrf"], **data}, follow_redirects=False)


def _payments(app: Any) -> int:
    with app.state.rc.db.transaction() as db:
        return int(db.scalar(select(func.count()).select_from(ShopPayment)) or 0)


def test_pay_form_pays_once_and_shows_the_receipt(client: TestClient, app: Any) -> None:
    shop = make_shop(client)
    with app.state.rc.db.transaction() as db:
        wallet.grant_to(db, "alice", 10_000, "CNY")
    alice = _browser(app, "alice")
    form_page = alice.get(f"/pay/{shop.code_id}")
    assert form_page.status_code == 200 and "Cafe Lu" in form_page.text
    key = KEY.search(form_page.text)
    assert key is not None
    sent = {"amount": "12.50", "payment_method": "wallet", "idempotency_key": key.group(1)}
    first, second = (
        _post(alice, f"/pay/{shop.code_id}", sent),
        _post(alice, f"/pay/{shop.code_id}", sent),
    )
    assert first.status_code == second.status_code == 303, first.text[:300]
    assert first.headers["location"] == second.headers["location"]
    assert _payments(app) == 1
    receipt = alice.get(first.headers["location"])
    assert receipt.status_code == 200
    assert "data-receipt-notice" in receipt.text  # the one-time "paid"
    text = re.search(r"data-code-text>([^<]+)<", receipt.text)
    assert text is not None and text.group(1).startswith("CR1:")
    assert (
        "12.50" in receipt.text
        and "Cafe Lu" in receipt.text
        and "data:image/svg+xml" in receipt.text
    )
    again = alice.get(first.headers["location"])
    assert again.status_code == 200 and "data-receipt-notice" not in again.text
    # Only the holder sees it; a stranger and a made-up id get the same 404.
    teller = _browser(app, "cafe-teller")
    assert teller.get(first.headers["location"]).status_code == 404
    assert alice.get("/receipts/999999").status_code == 404


def test_pay_form_refusals_are_pages(client: TestClient, app: Any) -> None:
    shop = make_shop(client)
    alice = _browser(app, "alice")
    path = f"/pay/{shop.code_id}"
    for amount, status in (("nope", 422), ("0", 422), ("50", 409)):  # 409: an empty wallet
        r = _post(
            alice, path, {"amount": amount, "payment_method": "wallet", "idempotency_key": "k"}
        )
        assert r.status_code == status, (amount, r.status_code, r.text[:300])
        assert 'class="alert' in r.text or "error" in r.text
    assert _payments(app) == 0
    assert alice.get("/pay/999999").status_code == 404
    signed_out = TestClient(app, raise_server_exceptions=False)
    r = signed_out.get(path, follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


def test_verification_link_page(client: TestClient, app: Any) -> None:
    shop = make_shop(client)
    with app.state.rc.db.transaction() as db:
        wallet.grant_to(db, "alice", 1_000, "CNY")
    paid = pay(client, shop.alice, shop.code, 250, "link-page")
    cid = paid.json()["receipt"]["credential_id"]
    r = client.post(f"/api/v1/credentials/{cid}/verification-links", json={"to": "cafe-teller"},
                    headers=auth(shop.alice))  # fmt: skip
    assert r.status_code == 201, r.text
    inbox = client.get("/api/v1/me/inbox", headers=auth(shop.teller)).json()["items"]
    url = next(i["url"] for i in inbox if i["kind"] == "verification_link")
    teller = _browser(app, "cafe-teller")
    shown = teller.get(url)
    assert shown.status_code == 200, shown.text[:300]
    assert 'data-link-verdict="valid"' in shown.text and cid in shown.text
    # The amount is money in the receipt's currency, under its label, not 250 minor units.
    amount = re.search(r'data-link-field="amount">([^<]*)<', shown.text)
    assert amount and "2.50" in amount.group(1) and "250" not in amount.group(1)
    # Anyone else, expired, forged: a refusal with its reason.
    alice = _browser(app, "alice")
    assert 'data-link-refused="wrong_user"' in alice.get(url).text
    assert alice.get(url).status_code == 403
    token = url.rsplit("/", 1)[-1]
    keyring = app.state.rc.keyring
    teller_id = int(token.split(".")[2])
    old = links.make_token(keyring, cid, teller_id, int(time.time()) - 601)
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    for bad, reason in ((old, "expired"), (forged, "bad_link"),
                        ("x" * 300, "bad_link"), ("not-a-token", "bad_link")):  # fmt: skip
        r = teller.get(f"/verify-link/{bad}")
        assert r.status_code in (403,), (bad, r.status_code)
        if reason:
            assert f'data-link-refused="{reason}"' in r.text
    gone = links.make_token(keyring, "ab" * 16, teller_id, int(time.time()))
    r = teller.get(f"/verify-link/{gone}")
    assert r.status_code == 404 and 'data-link-refused="not_found"' in r.text
    # In Chinese, too.
    zh = teller.get(url, headers={"Accept-Language": "zh-CN"})
    assert "当前有效" in zh.text


def test_the_holder_sends_a_verification_link_from_the_credential_page(
    client: TestClient, app: Any
) -> None:
    shop = make_shop(client)
    with app.state.rc.db.transaction() as db:
        wallet.grant_to(db, "alice", 1_000, "CNY")
    cid = pay(client, shop.alice, shop.code, 320, "send-link").json()["receipt"]["credential_id"]
    alice = _browser(app, "alice")
    page = alice.get(f"/me/credentials/{cid}")
    assert page.status_code == 200 and "data-send-link" in page.text
    path = f"/me/credentials/{cid}/verification-link"
    r = _post(alice, path, {"verifier": "cafe-teller"})
    assert r.status_code == 303 and r.headers["location"] == f"/me/credentials/{cid}"
    assert 'data-notice="link_sent"' in alice.get(r.headers["location"]).text
    inbox = client.get("/api/v1/me/inbox", headers=auth(shop.teller)).json()["items"]
    url = next(i["url"] for i in inbox if i["kind"] == "verification_link")
    assert 'data-link-verdict="valid"' in _browser(app, "cafe-teller").get(url).text
    # Someone outside the shop's team, or nobody at all: the page again, with the reason.
    register(client, "mallory")
    for who, says in (("mallory", "not on the issuer"), ("nobody-here", "No user has")):
        r = _post(alice, path, {"verifier": who})
        assert r.status_code in (404, 422) and says in r.text, (who, r.status_code)
    # Only the holder may send it.
    teller = _browser(app, "cafe-teller")
    assert _post(teller, path, {"verifier": "cafe-teller"}).status_code in (403, 404)


def test_a_receipt_reads_in_the_readers_language(client: TestClient, app: Any) -> None:
    # The receipt template is made in English on first use (credentials/direct.py); a
    # Chinese reader must not meet "Receipt", "Payee" or a raw ISO 8601 time.
    shop = make_shop(client)
    with app.state.rc.db.transaction() as db:
        wallet.grant_to(db, "alice", 10_000, "CNY")
    alice = _browser(app, "alice")
    key = KEY.search(alice.get(f"/pay/{shop.code_id}").text)
    assert key is not None
    sent = {"amount": "12.50", "payment_method": "wallet", "idempotency_key": key.group(1)}
    receipt = alice.get(_post(alice, f"/pay/{shop.code_id}", sent).headers["location"])
    link = re.search(r'href="(/me/credentials/[0-9a-f]+)" data-receipt-credential', receipt.text)
    assert link is not None
    zh = alice.get(link.group(1), headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 200
    h1 = re.search(r"<h1>([^<]*)</h1>", zh.text)
    assert h1 is not None and h1.group(1) == "收据"
    assert "<dt>收款方</dt>" in zh.text and "<dt>时间</dt>" in zh.text
    assert "Payee" not in zh.text and not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", zh.text)
    en = alice.get(link.group(1), headers={"Accept-Language": "en"})
    assert "<h1>Receipt</h1>" in en.text and "<dt>Payee</dt>" in en.text
    # The wallet's history names the shop payment, not a generic "Movement".
    history = alice.get("/wallet", headers={"Accept-Language": "zh-CN"}).text
    assert "<strong>店内付款</strong>" in history and "<strong>收支</strong>" not in history

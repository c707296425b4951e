"""The referrer's commissions and withdrawals on /wallet, and /admin/withdrawals for
operators: the forms (PRG, CSRF, errors kept with what was typed) in both languages."""

from __future__ import annotations

import re
from typing import Any

from commission_support import adopt, earned_available, make_operator, make_shop, rules
from fastapi.testclient import TestClient

from relaycode.db.session import Database


def _db(app: Any) -> Database:
    db: Database = app.state.rc.db
    return db


def _key(html: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _earn(app: Any, username: str, orders: int = 1) -> None:
    db = _db(app)
    shop = make_shop(db, rules(1000, hold_days=0), people=("buyer",))
    adopt(db, shop, username)
    earned_available(db, shop, username, 10_000, times=orders)  # CN¥10.00 each


def test_commissions_and_a_withdrawal_on_the_wallet(
    pages: Any, client: TestClient, app: Any
) -> None:
    pages.register("alice")
    empty = client.get("/wallet?lang=en").text
    assert "No commissions yet" in empty and "Nothing is available to withdraw yet." in empty
    _earn(app, "alice", orders=2)
    page = client.get("/wallet?lang=en").text
    assert 'data-commission-available="2000">CN¥20.00<' in page
    assert page.count("data-commission=") == 2 and "Order 1 · level 1" in page
    key = _key(page)
    form = {"amount": "12.50", "currency": "CNY", "payout_details": "alipay 138", "key": key}
    r = pages.post("/wallet/withdrawals", form)
    assert r.status_code == 303 and r.headers["location"] == "/wallet#withdrawals-h"
    again = pages.post("/wallet/withdrawals", form)  # a double submit: the same withdrawal
    assert again.status_code == 303
    after = client.get("/wallet?lang=en").text
    assert "Withdrawal requested" in after
    assert after.count("data-withdrawal=") == 1 and "alipay 138" in after
    assert 'data-commission-available="750">CN¥7.50<' in after
    assert "Withdrawal requested" not in client.get("/wallet?lang=en").text  # shown once
    too_much = {**form, "amount": "8", "key": _key(after)}
    r = pages.post("/wallet/withdrawals", too_much)
    assert r.status_code == 409 and "do not cover that amount" in r.text
    assert 'value="8"' in r.text  # what was typed stays
    bad = pages.post("/wallet/withdrawals", {**form, "amount": "abc", "payout_details": ""})
    assert bad.status_code == 422
    assert "Enter an amount above zero" in bad.text and "Say where to pay" in bad.text
    zh = client.get("/wallet?lang=zh-CN").text
    assert "可提现" in zh and "申请提现" in zh and "已申请" in zh
    no_csrf = client.post("/wallet/withdrawals", data=form, follow_redirects=False)
    assert no_csrf.status_code == 403


def test_operators_decide_on_the_page(pages: Any, client: TestClient, app: Any) -> None:
    pages.register("alice")
    _earn(app, "alice")
    form = {"amount": "4", "currency": "CNY", "payout_details": "=cmd|' /C calc'!A0"}
    assert pages.post("/wallet/withdrawals", {**form, "key": "one"}).status_code == 303
    assert pages.post("/wallet/withdrawals", {**form, "key": "two"}).status_code == 303
    assert client.get("/admin/withdrawals").status_code == 403
    client.cookies.clear()
    pages.register("operator")
    make_operator(_db(app), "operator")
    queue = client.get("/admin/withdrawals?lang=en").text
    assert queue.count("data-withdrawal=") == 2 and "alice" in queue
    assert 'href="/api/v1/admin/withdrawals.csv?status=requested"' in queue
    ids = [int(i) for i in re.findall(r'data-withdrawal="(\d+)"', queue)]
    r = pages.post(f"/admin/withdrawals/{ids[0]}/approve", {"note": "paid", "status": "requested"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/withdrawals?status=requested"
    shown = client.get("/admin/withdrawals?status=requested&lang=en").text
    assert "Approved: the withdrawal is recorded as paid out." in shown
    assert shown.count("data-withdrawal=") == 1
    r = pages.post(f"/admin/withdrawals/{ids[1]}/reject", {"status": "requested"})
    assert r.status_code == 303
    done = client.get("/admin/withdrawals?status=&lang=zh-CN").text
    assert "已付款" in done and "已拒绝" in done and done.count("data-withdrawal=") == 2
    csv = client.get("/api/v1/admin/withdrawals.csv")  # the link works with the cookie
    assert csv.status_code == 200 and "'=cmd|" in csv.text
    assert pages.post(f"/admin/withdrawals/{ids[1]}/approve", {}).status_code == 409

"""The inbox page and a merchant's webhook pages, through the HTML forms."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


def test_inbox_page_lists_marks_read_and_speaks_chinese(pages: Any, client: TestClient) -> None:
    pages.register()
    assert "/inbox" in client.get("/dashboard").text  # the nav links to it
    empty = client.get("/inbox")
    assert empty.status_code == 200 and "All read" in empty.text
    assert pages.post("/inbox/test", {}).status_code == 303
    page = client.get("/inbox")
    assert "Test notification" in page.text and "1 unread" in page.text
    assert "is-unread" in page.text
    zh = client.get("/inbox?lang=zh-CN")
    assert "测试通知" in zh.text and "1 条未读" in zh.text
    item_id = re.search(r'data-id="(\d+)"', page.text)
    assert item_id
    assert pages.post("/inbox/read", {"id": "junk"}).status_code == 303  # nothing marked
    assert "1 unread" in client.get("/inbox?lang=en").text
    assert pages.post("/inbox/read", {"id": item_id.group(1)}).status_code == 303
    assert "All read" in client.get("/inbox?lang=en").text
    assert client.post("/inbox/read", data={"all": "1"}).status_code == 403  # no CSRF field


def test_inbox_needs_sign_in(client: TestClient) -> None:
    r = client.get("/inbox", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_owner_adds_a_webhook_and_sees_the_secret_once(pages: Any, client: TestClient) -> None:
    pages.shop()
    assert 'href="/dashboard/m/tea-house/webhooks"' in client.get("/dashboard/m/tea-house").text
    bad = pages.post(
        "/dashboard/m/tea-house/webhooks", {"url": "http://127.0.0.1/x", "events": ["order.paid"]}
    )
    assert bad.status_code == 422 and "public internet" in bad.text
    none = pages.post("/dashboard/m/tea-house/webhooks", {"url": "https://a.example.com/"})
    assert none.status_code == 422 and "at least one event" in none.text
    r = pages.post(
        "/dashboard/m/tea-house/webhooks",
        {"url": "https://hooks.example.com/in", "events": ["order.paid", "order.fulfilled"]},
    )
    assert r.status_code == 303
    shown = client.get(r.headers["location"])
    assert "data-new-secret" in shown.text and len(set(SECRET.findall(shown.text))) == 1
    listing = client.get("/dashboard/m/tea-house/webhooks")
    assert SECRET.search(listing.text) is None  # shown once
    assert "https://hooks.example.com/in" in listing.text and "order.fulfilled" in listing.text
    hook_id = re.search(r'id="hook-(\d+)"', listing.text)
    assert hook_id
    base = f"/dashboard/m/tea-house/webhooks/{hook_id.group(1)}"
    sent = pages.post(f"{base}/test", {})
    assert sent.status_code == 303
    log = client.get(sent.headers["location"])
    assert "webhook.test" in log.text and "Pending" in log.text and "on its way" in log.text
    rotated = pages.post(f"{base}/rotate", {})
    assert SECRET.search(client.get(rotated.headers["location"]).text)
    assert pages.post(f"{base}/delete", {}).status_code == 303
    assert "No webhooks yet" in client.get("/dashboard/m/tea-house/webhooks").text
    assert client.get(base).status_code == 404


def test_only_owners_see_webhooks(pages: Any, client: TestClient) -> None:
    pages.shop()
    with TestClient(client.app) as other:
        other.get("/")
        form = {
            "csrf": other.cookies["rc_csrf"],
            "username": "sam",
            "password": "password123",
            "password2": "password123",
        }
        assert other.post("/register", data=form, follow_redirects=False).status_code == 303
        assert other.get("/dashboard/m/tea-house/webhooks").status_code == 403

"""The inbox: written by notify_user in the caller's transaction, read through the API."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register
from sqlalchemy import func, select

from relaycode.identity import repository as id_repo
from relaycode.models import InboxItem
from relaycode.notify.service import notify_merchant_staff, notify_user

PAID = {"order_id": 7, "amount_minor": 1250, "currency": "CNY", "offer_title": "Green tea"}


def _user_id(app: Any, username: str) -> int:
    with app.state.rc.db.read_transaction() as db:
        user = id_repo.user_by_username(db, username)
        assert user is not None
        return user.id


def test_an_item_reads_in_both_languages(client: TestClient, app: Any) -> None:
    token = register(client, "alice")
    uid = _user_id(app, "alice")
    with app.state.rc.db.transaction() as db:
        notify_user(db, uid, "payment_succeeded", {**PAID, "url": "/orders/7"})
    en = client.get("/api/v1/me/inbox", headers=auth(token)).json()
    assert en["unread"] == 1 and en["next_cursor"] is None
    item = en["items"][0]
    assert item["kind"] == "payment_succeeded" and item["read"] is False
    assert item["title"] == "Payment succeeded"
    assert item["body"] == "You paid CN¥12.50 for Green tea (order 7)."
    assert item["url"] == "/orders/7" and item["data"]["order_id"] == 7
    zh = client.get("/api/v1/me/inbox?lang=zh-CN", headers=auth(token)).json()["items"][0]
    assert zh["title"] == "支付成功" and "¥12.50" in zh["body"] and "Green tea" in zh["body"]


@pytest.mark.parametrize(
    "kind",
    [
        "payment_succeeded",
        "payment_failed",
        "commission_earned",
        "commission_reversed",
        "order_new",
        "test",
    ],
)
def test_every_kind_has_its_own_text(client: TestClient, app: Any, kind: str) -> None:
    token = register(client, "alice")
    with app.state.rc.db.transaction() as db:
        notify_user(db, _user_id(app, "alice"), kind, {**PAID, "reason": "card declined"})
    for lang in ("en", "zh-CN"):
        item = client.get(f"/api/v1/me/inbox?lang={lang}", headers=auth(token)).json()["items"][0]
        assert item["title"] and item["body"] and "{" not in item["body"], item
        assert item["title"] not in ("Notification", "通知")


def test_a_link_that_is_not_ours_is_dropped(client: TestClient, app: Any) -> None:
    token = register(client, "alice")
    with app.state.rc.db.transaction() as db:
        notify_user(db, _user_id(app, "alice"), "test", {"url": "//evil.example/x"})
    assert client.get("/api/v1/me/inbox", headers=auth(token)).json()["items"][0]["url"] is None


def test_pages_newest_first_and_mark_read(client: TestClient, app: Any) -> None:
    token = register(client, "alice")
    uid = _user_id(app, "alice")
    with app.state.rc.db.transaction() as db:
        ids = [notify_user(db, uid, "test", {"message": str(i)}).id for i in range(5)]
    first = client.get("/api/v1/me/inbox?limit=2", headers=auth(token)).json()
    assert [i["id"] for i in first["items"]] == ids[::-1][:2] and first["unread"] == 5
    second = client.get(
        "/api/v1/me/inbox",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=auth(token),
    ).json()
    assert [i["id"] for i in second["items"]] == ids[::-1][2:4]
    r = client.post("/api/v1/me/inbox/read", json={"ids": ids[:2]}, headers=auth(token))
    assert r.json() == {"marked": 2, "unread": 3}
    r = client.post("/api/v1/me/inbox/read", json={"ids": ids[:2]}, headers=auth(token))
    assert r.json() == {"marked": 0, "unread": 3}  # again: nothing changes
    r = client.post("/api/v1/me/inbox/read", json={"all": True}, headers=auth(token))
    assert r.json() == {"marked": 3, "unread": 0}
    bad = client.get("/api/v1/me/inbox?cursor=nonsense", headers=auth(token))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_cursor"


def test_one_users_inbox_is_theirs(client: TestClient, app: Any) -> None:
    alice, bob = register(client, "alice"), register(client, "bob")
    with app.state.rc.db.transaction() as db:
        item = notify_user(db, _user_id(app, "alice"), "test", {})
    assert client.get("/api/v1/me/inbox", headers=auth(bob)).json()["items"] == []
    r = client.post("/api/v1/me/inbox/read", json={"ids": [item.id]}, headers=auth(bob))
    assert r.json()["marked"] == 0
    assert client.get("/api/v1/me/inbox", headers=auth(alice)).json()["unread"] == 1
    assert client.get("/api/v1/me/inbox").status_code == 401


def test_dedupe_key_makes_it_idempotent(client: TestClient, app: Any) -> None:
    register(client, "alice")
    uid = _user_id(app, "alice")
    with app.state.rc.db.transaction() as db:
        a = notify_user(db, uid, "payment_succeeded", PAID, dedupe_key="paid:7")
        b = notify_user(db, uid, "payment_succeeded", PAID, dedupe_key="paid:7")
    with app.state.rc.db.transaction() as db:
        c = notify_user(db, uid, "payment_succeeded", PAID, dedupe_key="paid:7")
        other = notify_user(db, uid, "payment_succeeded", PAID, dedupe_key="paid:8")
    assert a.id == b.id == c.id != other.id


def test_concurrent_notifications_with_one_key_make_one_item(client: TestClient, app: Any) -> None:
    """Real transactions on their own connections, released together (both databases)."""
    register(client, "alice")
    uid = _user_id(app, "alice")
    barrier = threading.Barrier(8)
    got: list[int] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            with app.state.rc.db.transaction() as db:
                barrier.wait(10)
                got.append(notify_user(db, uid, "order_new", PAID, dedupe_key="order:7").id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(got) == 8 and len(set(got)) == 1
    with app.state.rc.db.read_transaction() as db:
        assert db.scalar(select(func.count()).select_from(InboxItem)) == 1


def test_rolled_back_notifications_leave_nothing(client: TestClient, app: Any) -> None:
    token = register(client, "alice")
    with pytest.raises(RuntimeError), app.state.rc.db.transaction() as db:
        notify_user(db, _user_id(app, "alice"), "test", {})
        raise RuntimeError("the change failed")
    assert client.get("/api/v1/me/inbox", headers=auth(token)).json()["items"] == []


def test_merchant_staff_are_notified(client: TestClient, app: Any) -> None:
    owner = register(client, "alice")
    staff, verifier = register(client, "bob"), register(client, "carol")
    offer = merchant_with_offer(client, owner)
    for name, role in (("bob", "staff"), ("carol", "verifier")):
        r = client.put(
            "/api/v1/merchants/shop/members",
            json={"username": name, "role": role},
            headers=auth(owner),
        )
        assert r.status_code == 200
    with app.state.rc.db.transaction() as db:
        items = notify_merchant_staff(
            db, offer["merchant_id"], "order_new", PAID, dedupe_key="order:7"
        )
    assert len(items) == 2
    for token, n in ((owner, 1), (staff, 1), (verifier, 0)):
        assert client.get("/api/v1/me/inbox", headers=auth(token)).json()["unread"] == n


def test_bad_calls_are_programming_errors(client: TestClient, app: Any) -> None:
    register(client, "alice")
    uid = _user_id(app, "alice")
    with app.state.rc.db.transaction() as db:
        with pytest.raises(ValueError, match="unknown inbox kind"):
            notify_user(db, uid, "nonsense", {})
        with pytest.raises(ValueError, match="larger"):
            notify_user(db, uid, "test", {"message": "x" * 5000})
        with pytest.raises(ValueError, match="dedupe_key"):
            notify_user(db, uid, "test", {}, dedupe_key="k" * 200)


def test_send_yourself_a_test_notification(client: TestClient) -> None:
    token = register(client, "alice")
    r = client.post("/api/v1/me/inbox/test", json={"message": "hello"}, headers=auth(token))
    assert r.status_code == 201 and r.json()["kind"] == "test" and "hello" in r.json()["body"]
    r = client.post("/api/v1/me/inbox/read", json={"ids": ["x"]}, headers=auth(token))
    assert r.status_code == 422

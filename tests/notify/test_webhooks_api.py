"""Webhook endpoints through the API: owners only, events from the catalogue, the
secret shown once, rotation, deletion, the log and replays."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register
from sqlalchemy import select

from relaycode.models import WebhookDelivery
from relaycode.notify.service import emit

HOOK = {"url": "https://hooks.example.com/in", "events": ["order.paid", "commission.created"]}


def _shop(client: TestClient) -> tuple[str, int]:
    token = register(client, "alice")
    return token, int(merchant_with_offer(client, token)["merchant_id"])


def test_create_shows_the_secret_once(client: TestClient) -> None:
    token, mid = _shop(client)
    r = client.post(f"/api/v1/merchants/{mid}/webhooks", json=HOOK, headers=auth(token))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["commission.created", "order.paid"]
    assert r.headers["cache-control"] == "no-store"
    listed = client.get(f"/api/v1/merchants/{mid}/webhooks", headers=auth(token)).json()
    assert [h["id"] for h in listed["items"]] == [body["id"]]
    assert listed["items"][0]["secret"] is None
    rotated = client.post(
        f"/api/v1/merchants/{mid}/webhooks/{body['id']}/rotate-secret", headers=auth(token)
    ).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != body["secret"]


def test_only_owners_and_operators(client: TestClient) -> None:
    token, mid = _shop(client)
    staff = register(client, "bob")
    client.put(
        "/api/v1/merchants/shop/members",
        json={"username": "bob", "role": "staff"},
        headers=auth(token),
    )
    stranger = register(client, "carol")
    for who in (staff, stranger):
        r = client.post(f"/api/v1/merchants/{mid}/webhooks", json=HOOK, headers=auth(who))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        assert client.get(f"/api/v1/merchants/{mid}/webhooks", headers=auth(who)).status_code == 403
    key = client.post(
        "/api/v1/merchants/shop/api-keys",
        json={"name": "k", "scopes": ["scan"]},
        headers=auth(token),
    ).json()["key"]
    assert (
        client.post(f"/api/v1/merchants/{mid}/webhooks", json=HOOK, headers=auth(key)).status_code
        == 403
    )
    assert (
        client.post("/api/v1/merchants/999/webhooks", json=HOOK, headers=auth(token)).status_code
        == 404
    )
    huge = client.post(f"/api/v1/merchants/{10**30}/webhooks", json=HOOK, headers=auth(token))
    assert huge.status_code in (404, 422)


def test_events_and_urls_are_checked(client: TestClient) -> None:
    token, mid = _shop(client)
    path = f"/api/v1/merchants/{mid}/webhooks"

    def code(body: dict[str, Any]) -> tuple[int, str | None]:
        r = client.post(path, json=body, headers=auth(token))
        return r.status_code, r.json().get("error", {}).get("code")

    assert code({"url": HOOK["url"], "events": ["order.exploded"]}) == (422, "unknown_event")
    assert code({"url": HOOK["url"], "events": []})[0] == 422
    for url in (
        "ftp://hooks.example.com/",
        "https://user:pw@hooks.example.com/",
        "http://127.0.0.1:5432/",
        "http://localhost/x",
        "http://[::1]/",
        "http://10.0.0.8/",
        "http://169.254.169.254/latest",
        "http://0x7f.1/",
        "http://[::ffff:192.168.0.1]/",
        "http://intranet/",
        "not a url",
    ):
        assert code({"url": url, "events": ["order.paid"]}) == (422, "bad_webhook_url"), url


def test_emit_writes_one_row_per_subscribed_endpoint(client: TestClient, app: Any) -> None:
    token, mid = _shop(client)
    path = f"/api/v1/merchants/{mid}/webhooks"
    paid = client.post(path, json=HOOK, headers=auth(token)).json()
    other = client.post(
        path,
        json={"url": "https://b.example.com/", "events": ["order.refunded"]},
        headers=auth(token),
    ).json()
    with app.state.rc.db.transaction() as db:
        made = emit(
            db,
            merchant_id=mid,
            event_type="order.paid",
            data={"order_id": 1},
            event_id="order.paid:1",
        )
        again = emit(
            db,
            merchant_id=mid,
            event_type="order.paid",
            data={"order_id": 1},
            event_id="order.paid:1",
        )
    assert len(made) == 1 and again == []  # idempotent by event id
    with app.state.rc.db.read_transaction() as db:
        rows = list(db.scalars(select(WebhookDelivery)))
    assert [(r.endpoint_id, r.event_id, r.status) for r in rows] == [
        (paid["id"], "order.paid:1", "pending")
    ]
    log = client.get(f"{path}/{paid['id']}/deliveries", headers=auth(token)).json()["items"]
    assert log[0]["event_type"] == "order.paid" and '"order_id":1' in log[0]["payload"]
    assert client.get(f"{path}/{other['id']}/deliveries", headers=auth(token)).json()["items"] == []


def test_emit_rolls_back_with_the_change(client: TestClient, app: Any) -> None:
    token, mid = _shop(client)
    client.post(f"/api/v1/merchants/{mid}/webhooks", json=HOOK, headers=auth(token))
    try:
        with app.state.rc.db.transaction() as db:
            emit(db, merchant_id=mid, event_type="order.paid", data={})
            raise RuntimeError("the order failed")
    except RuntimeError:
        pass
    with app.state.rc.db.read_transaction() as db:
        assert list(db.scalars(select(WebhookDelivery))) == []


def test_delete_drops_pending_and_keeps_the_log(client: TestClient, app: Any) -> None:
    token, mid = _shop(client)
    path = f"/api/v1/merchants/{mid}/webhooks"
    hook = client.post(path, json=HOOK, headers=auth(token)).json()
    sent = client.post(f"{path}/{hook['id']}/test", headers=auth(token))
    assert sent.status_code == 202 and sent.json()["deliveries"] == 1
    assert client.delete(f"{path}/{hook['id']}", headers=auth(token)).status_code == 204
    assert client.get(path, headers=auth(token)).json()["items"] == []
    assert client.delete(f"{path}/{hook['id']}", headers=auth(token)).status_code == 404
    with app.state.rc.db.read_transaction() as db:
        (row,) = db.scalars(select(WebhookDelivery))
    assert row.status == "failed" and row.last_error == "webhook deleted"
    with app.state.rc.db.transaction() as db:
        assert emit(db, merchant_id=mid, event_type="order.paid", data={}) == []


def test_replay_reuses_the_webhook_id(client: TestClient) -> None:
    token, mid = _shop(client)
    path = f"/api/v1/merchants/{mid}/webhooks"
    hook = client.post(path, json=HOOK, headers=auth(token)).json()
    client.post(f"{path}/{hook['id']}/test", headers=auth(token))
    log = f"{path}/{hook['id']}/deliveries"
    original = client.get(log, headers=auth(token)).json()["items"][0]
    r = client.post(f"{log}/{original['id']}/replay", headers=auth(token))
    assert r.status_code == 201
    copy = r.json()
    assert copy["event_id"] == original["event_id"] and copy["payload"] == original["payload"]
    assert copy["replay"] == 1 and copy["id"] != original["id"]
    second = client.post(f"{log}/{original['id']}/replay", headers=auth(token)).json()
    assert second["replay"] == 2
    assert client.post(f"{log}/999999/replay", headers=auth(token)).status_code == 404

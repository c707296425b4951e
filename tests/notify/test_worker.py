"""The delivery worker against a real receiver on loopback: signatures that the
``standardwebhooks`` library verifies, retries with backoff, bounded attempts,
timeouts, replays, the address checked at delivery time, and two workers sharing."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register
from notify_support import Receiver
from sqlalchemy import select
from standardwebhooks import Webhook

from relaycode.config import Settings
from relaycode.models import WebhookAttempt, WebhookDelivery
from relaycode.notify.service import emit
from relaycode.notify.worker import DeliveryWorker


@pytest.fixture
def fast_client(fast_settings: Settings) -> Any:
    from relaycode.app import create_app

    app = create_app(fast_settings.model_copy(update={"webhook_worker": False}))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.rc.db.dispose()


def _hook(client: TestClient, url: str, events: list[str] | None = None) -> dict[str, Any]:
    token = register(client, "alice")
    mid = merchant_with_offer(client, token)["merchant_id"]
    r = client.post(
        f"/api/v1/merchants/{mid}/webhooks",
        json={"url": url, "events": events or ["order.paid"]},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    return {**r.json(), "merchant_id": mid, "token": token}


def _emit(client: TestClient, mid: int, n: int = 1, kind: str = "order.paid") -> list[str]:
    ids = [f"{kind}:{i}" for i in range(n)]
    with client.app.state.rc.db.transaction() as db:  # type: ignore[attr-defined]
        for i, eid in enumerate(ids):
            emit(db, merchant_id=mid, event_type=kind, data={"order_id": i}, event_id=eid)
    return ids


def _rows(client: TestClient) -> list[WebhookDelivery]:
    with client.app.state.rc.db.read_transaction() as db:  # type: ignore[attr-defined]
        return list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _worker(client: TestClient, settings: Settings, **kw: Any) -> DeliveryWorker:
    return DeliveryWorker(client.app.state.rc.db, settings, **kw)  # type: ignore[attr-defined]


def _until(check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_delivered_signed_and_verified(
    fast_client: TestClient, fast_settings: Settings, receiver: Receiver
) -> None:
    hook = _hook(fast_client, receiver.url)
    (eid,) = _emit(fast_client, hook["merchant_id"])
    worker = _worker(fast_client, fast_settings)
    try:
        assert worker.run_once() == 1
    finally:
        worker.stop()
    (got,) = receiver.received
    payload = Webhook(hook["secret"]).verify(got.body, got.headers)  # raises if forged
    assert payload["type"] == "order.paid" and payload["id"] == eid
    assert payload["data"] == {"order_id": 0} and payload["merchant_id"] == hook["merchant_id"]
    assert got.headers["webhook-id"] == eid and got.headers["content-type"] == "application/json"
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "QUFB" * 8).verify(got.body, got.headers)
    (row,) = _rows(fast_client)
    assert (row.status, row.attempts, row.last_status) == ("succeeded", 1, 200)


def test_retries_with_backoff_then_delivers(
    fast_client: TestClient, fast_settings: Settings, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    hook = _hook(fast_client, receiver.url)
    _emit(fast_client, hook["merchant_id"])
    worker = _worker(fast_client, fast_settings)
    try:
        assert worker.run_once() == 1
        (row,) = _rows(fast_client)
        assert row.status == "pending" and row.attempts == 1 and row.last_status == 500
        assert worker.run_once() == 0  # not due yet: the backoff holds it back
        worker.start()
        got = receiver.wait_for(3)
    finally:
        worker.stop()
    assert len({r.event_id for r in got}) == 1  # every attempt: the same webhook-id
    _until(lambda: _rows(fast_client)[0].status == "succeeded")
    with fast_client.app.state.rc.db.read_transaction() as db:  # type: ignore[attr-defined]
        codes = [
            a.status_code for a in db.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id))
        ]
    assert codes == [500, 503, 200]


def test_attempts_are_bounded_and_logged(
    fast_client: TestClient, fast_settings: Settings, receiver: Receiver
) -> None:
    receiver.default = 500
    settings = fast_settings.model_copy(update={"webhook_max_attempts": 3})
    hook = _hook(fast_client, receiver.url)
    _emit(fast_client, hook["merchant_id"])
    worker = _worker(fast_client, settings).start()
    try:
        _until(lambda: _rows(fast_client)[0].status == "failed")
    finally:
        worker.stop()
    (row,) = _rows(fast_client)
    assert row.attempts == 3 and len(receiver.received) == 3
    log = fast_client.get(
        f"/api/v1/merchants/{hook['merchant_id']}/webhooks/{hook['id']}/deliveries",
        headers=auth(hook["token"]),
    ).json()["items"][0]
    assert log["status"] == "failed" and log["last_status"] == 500
    assert log["recent_attempts"][0]["response_excerpt"] == '{"ok": false}'


def test_a_slow_receiver_times_out(
    fast_client: TestClient, fast_settings: Settings, receiver: Receiver
) -> None:
    receiver.delay = 2.0
    settings = fast_settings.model_copy(update={"webhook_timeout_seconds": 0.5})
    hook = _hook(fast_client, receiver.url)
    _emit(fast_client, hook["merchant_id"])
    worker = _worker(fast_client, settings)
    try:
        worker.run_once()
    finally:
        worker.stop()
    (row,) = _rows(fast_client)
    assert row.status == "pending" and row.last_error == "timed out" and row.last_status is None


def test_replay_sends_the_same_message_again(
    fast_client: TestClient, fast_settings: Settings, receiver: Receiver
) -> None:
    hook = _hook(fast_client, receiver.url)
    _emit(fast_client, hook["merchant_id"])
    worker = _worker(fast_client, fast_settings)
    base = f"/api/v1/merchants/{hook['merchant_id']}/webhooks/{hook['id']}/deliveries"
    try:
        worker.run_once()
        first = fast_client.get(base, headers=auth(hook["token"])).json()["items"][0]
        r = fast_client.post(f"{base}/{first['id']}/replay", headers=auth(hook["token"]))
        assert r.status_code == 201
        worker.run_once()
    finally:
        worker.stop()
    a, b = receiver.received
    assert a.event_id == b.event_id and a.body == b.body  # a deduping receiver ignores b
    # What a receiver that dedupes on webhook-id does with them: one effect.
    effects = Counter(r.event_id for r in receiver.received)
    assert list(effects) == [first["event_id"]]
    statuses = sorted(row.status for row in _rows(fast_client))
    assert statuses == ["succeeded", "succeeded"]


def test_after_a_rotation_both_secrets_sign(
    fast_client: TestClient, fast_settings: Settings, receiver: Receiver
) -> None:
    hook = _hook(fast_client, receiver.url)
    path = f"/api/v1/merchants/{hook['merchant_id']}/webhooks/{hook['id']}/rotate-secret"
    new = fast_client.post(path, headers=auth(hook["token"])).json()["secret"]
    _emit(fast_client, hook["merchant_id"])
    worker = _worker(fast_client, fast_settings)
    try:
        worker.run_once()
    finally:
        worker.stop()
    (got,) = receiver.received
    assert len(got.headers["webhook-signature"].split()) == 2
    for secret in (hook["secret"], new):
        Webhook(secret).verify(got.body, got.headers)


def test_connects_to_the_address_checked_at_delivery(
    fast_client: TestClient, fast_settings: Settings, receiver: Receiver
) -> None:
    """The name is resolved once per attempt, by the resolver we checked with, and the
    connection goes to that address with the URL's own Host header."""
    port = receiver.url.split(":")[2].split("/")[0]
    hook = _hook(fast_client, f"http://hooks.example.com:{port}/hooks")
    _emit(fast_client, hook["merchant_id"])
    asked: list[str] = []

    def resolver(host: str, _port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    worker = _worker(fast_client, fast_settings, resolver=resolver)
    try:
        worker.run_once()
    finally:
        worker.stop()
    (got,) = receiver.received
    assert asked == ["hooks.example.com"] and got.headers["host"] == f"hooks.example.com:{port}"


def test_dns_rebinding_is_refused_at_delivery(
    fast_client: TestClient, fast_settings: Settings, receiver: Receiver
) -> None:
    """Saved as a public name; at delivery it resolves to loopback: nothing is sent."""
    strict = fast_settings.model_copy(update={"webhook_allow_private": False})
    port = receiver.url.split(":")[2].split("/")[0]
    hook = _hook(fast_client, f"http://hooks.example.com:{port}/hooks")
    _emit(fast_client, hook["merchant_id"])
    answers = [["93.184.215.14", "127.0.0.1"]]  # one public, one loopback: refused too
    worker = _worker(fast_client, strict, resolver=lambda _h, _p: answers[0])
    try:
        worker.run_once()
    finally:
        worker.stop()
    (row,) = _rows(fast_client)
    assert row.status == "pending" and "non-public" in (row.last_error or "")
    assert receiver.received == []


def test_two_workers_deliver_each_message_once(
    fast_client: TestClient, fast_settings: Settings, receiver: Receiver
) -> None:
    receiver.delay = 0.02
    hook = _hook(fast_client, receiver.url)
    ids = _emit(fast_client, hook["merchant_id"], n=30)
    # A lease far longer than any batch: only SKIP LOCKED keeps the two apart here. (With
    # the quick 3 s lease, a batch slowed past it on a loaded machine is claimed again by
    # design: delivery is at least once, notify/outbox.py.)
    # Patient with the receiver too: a delivery slower than the quick 2 s timeout on a
    # loaded machine is given up and sent again, also by design (at least once).
    patient = fast_settings.model_copy(
        update={"webhook_lease_seconds": 120.0, "webhook_timeout_seconds": 30.0}
    )
    workers = [_worker(fast_client, patient, batch=4, name=f"w{i}") for i in range(2)]
    try:
        for w in workers:
            w.start()
        receiver.wait_for(30)
        _until(lambda: all(r.status == "succeeded" for r in _rows(fast_client)))
        time.sleep(0.5)  # anything sent twice would have arrived by now
    finally:
        for w in workers:
            w.stop()
    counts = Counter(r.event_id for r in receiver.received)
    assert sorted(counts) == sorted(ids) and set(counts.values()) == {1}
    assert all(w.stats.claimed > 0 for w in workers), [w.stats for w in workers]
    assert sum(w.stats.succeeded for w in workers) == 30

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register
from sqlalchemy import func, select

from relaycode.models import ScanEvent


def scan(client: TestClient, text: str, **headers: str) -> dict[str, Any]:
    r = client.post("/api/v1/scan", json={"text": text}, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_issued_code_resolves_to_its_offer(client: TestClient, app: Any) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    text = issue(client, token, offer["id"], channel="poster")
    assert text.startswith("HTTPS://RC.TEST/C/") and text == text.upper()
    body = scan(client, text, **{"User-Agent": "pytest-scanner"})
    assert body["verdict"] == "ours" and body["reason"] is None
    assert body["offer"]["title"] == offer["title"] and body["offer"]["price_minor"] == 1250
    assert body["offer"]["valid_from"] is None and "payee_account" not in body["offer"]
    assert body["code"]["channel"] == "poster" and body["code"]["depth"] == 0
    assert body["target"].startswith("/C/")
    assert scan(client, text.lower())["verdict"] == "ours"
    assert app.state.rc.scans.flush() == 2
    with app.state.rc.db.transaction() as db:
        event = db.scalars(select(ScanEvent).order_by(ScanEvent.id)).all()
    assert len(event) == 2 and event[0].code_id == body["code"]["id"]
    assert event[0].user_agent == "pytest-scanner"


def test_invalid_codes_say_why(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    text = issue(client, token, offer["id"])
    i = len("HTTPS://RC.TEST/C/") + 5
    tampered = text[:i] + ("B" if text[i] == "A" else "A") + text[i + 1 :]
    body = scan(client, tampered)
    assert body["reason"] == "bad_tag" and body["target"] == "/scan/invalid?reason=bad_tag"
    assert scan(client, text[:-3])["reason"] == "malformed"
    code_id = scan(client, text)["code"]["id"]
    client.post(f"/api/v1/codes/{code_id}/revoke", headers=auth(token))
    body = scan(client, text)
    assert (body["verdict"], body["reason"]) == ("ours_invalid", "revoked")
    assert body["target"].startswith("/C/") and body["target"].endswith("?seen=1")


def test_archived_and_expired_offers(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    text = issue(client, token, offer["id"])
    client.post(f"/api/v1/offers/{offer['id']}/pause", headers=auth(token))
    paused = scan(client, text)
    assert paused["verdict"] == "ours" and paused["offer"]["status"] == "paused"
    client.post(f"/api/v1/offers/{offer['id']}/activate", headers=auth(token))
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    client.patch(
        f"/api/v1/offers/{offer['id']}",
        json={"valid_from": "2020-01-01T00:00:00Z", "valid_until": past},
        headers=auth(token),
    )
    assert scan(client, text)["reason"] == "expired"
    client.post(f"/api/v1/offers/{offer['id']}/archive", headers=auth(token))
    assert scan(client, text)["reason"] == "revoked"


def test_foreign_gtin_and_text(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token, gtin="6901234567892")
    body = scan(client, "https://例え.jp/x?y=1")
    assert body["verdict"] == "foreign_url" and body["link"]["host"] == "例え.jp"
    assert body["target"].startswith("/out?url=")
    body = scan(client, "6901234567892")
    assert body["verdict"] == "gtin" and body["offer"]["id"] == offer["id"]
    body = scan(client, "4006381333931")
    assert body["verdict"] == "gtin" and body["offer"] is None
    assert body["target"] == "/scanned?text=04006381333931"
    assert scan(client, "hello")["verdict"] == "text"


def test_key_rotation_keeps_old_codes_until_retired(client: TestClient, app: Any) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    old = issue(client, token, offer["id"])
    ring = app.state.rc.keyring
    old_kid, _ = ring.active_hmac()
    ring.rotate()
    new = issue(client, token, offer["id"])
    assert scan(client, old)["verdict"] == scan(client, new)["verdict"] == "ours"
    assert ring.retire(str(old_kid))
    assert scan(client, old)["reason"] == "unknown_key"
    assert scan(client, new)["verdict"] == "ours"


def test_trust_list_publishes_public_keys_only(client: TestClient, app: Any) -> None:
    body = client.get("/api/v1/trust-list").json()
    assert body["issuer"] == "https://rc.test"
    assert len(body["keys"]) == 1 and body["keys"][0]["alg"] == "EdDSA"
    assert "private" not in str(body) and "secret" not in str(body)
    app.state.rc.keyring.rotate()
    statuses = sorted(k["status"] for k in client.get("/api/v1/trust-list").json()["keys"])
    assert statuses == ["active", "verify"]


def test_scan_input_errors(client: TestClient, app: Any) -> None:
    assert client.post("/api/v1/scan", json={}).status_code == 422
    assert client.post("/api/v1/scan", json={"text": 5}).status_code == 422
    assert client.post("/api/v1/scan", json={"text": "x" * 9000}).status_code == 422
    assert client.post("/api/v1/scan", content=b"\xff\xfe").status_code == 422
    assert app.state.rc.scans.flush() == 0
    with app.state.rc.db.transaction() as db:
        assert db.scalar(select(func.count()).select_from(ScanEvent)) == 0


def test_healthz_touches_nothing(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"ok": True}

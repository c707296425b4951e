"""Service vouchers (Fig. 10) and the verification hyperlink (Figs. 8, 11)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, register
from order_support import fund
from receipt_support import make_shop, pay

from relaycode.receipts import links


def test_service_request_completed_gives_a_voucher(client: TestClient) -> None:
    shop = make_shop(client)
    r = client.post(
        "/api/v1/service-requests",
        json={"merchant_id": shop.merchant_id, "description": "Wash and fold"},
        headers=auth(shop.alice),
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    denied = client.post(f"/api/v1/service-requests/{rid}/complete", headers=auth(shop.alice))
    assert denied.status_code == 404
    done = client.post(f"/api/v1/service-requests/{rid}/complete", headers=auth(shop.owner))
    assert done.status_code == 201 and done.json()["status"] == "completed", done.text
    again = client.post(f"/api/v1/service-requests/{rid}/complete", headers=auth(shop.owner))
    assert again.status_code == 200
    assert again.json()["credential_id"] == done.json()["credential_id"]
    mine = client.get("/api/v1/me/credentials", headers=auth(shop.alice)).json()["items"]
    assert [c["id"] for c in mine] == [done.json()["credential_id"]]
    inbox = client.get("/api/v1/me/inbox", headers=auth(shop.alice)).json()["items"]
    assert any(i["kind"] == "voucher_issued" for i in inbox)
    listed = client.get(
        f"/api/v1/merchants/{shop.merchant_id}/service-requests", headers=auth(shop.teller)
    )
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1


def test_bad_service_requests_are_4xx(client: TestClient) -> None:
    shop = make_shop(client)
    url = f"/api/v1/merchants/{shop.merchant_id}/service-requests"
    bodies: list[dict[str, Any]] = [
        {"user": "alice"},
        {"user": "nobody", "description": "x"},
        {"user": "alice", "offer_id": 99999},
        {"user": 5, "description": "x"},
    ]
    for body in bodies:
        r = client.post(url, json=body, headers=auth(shop.owner))
        assert 400 <= r.status_code < 500, (body, r.text)
    r = client.post(url, json={"user": "alice", "description": "x"}, headers=auth(shop.alice))
    assert r.status_code == 404


def _receipt(client: TestClient, app: Any) -> tuple[Any, str]:
    shop = make_shop(client)
    fund(app.state.rc.db, "alice", 1_000)
    r = pay(client, shop.alice, shop.code, 250, "link")
    return shop, r.json()["receipt"]["credential_id"]


def test_verification_link_to_a_verifier(client: TestClient, app: Any) -> None:
    shop, cid = _receipt(client, app)
    url = f"/api/v1/credentials/{cid}/verification-links"
    r = client.post(url, json={"to": "cafe-teller"}, headers=auth(shop.alice))
    assert r.status_code == 201, r.text
    inbox = client.get("/api/v1/me/inbox", headers=auth(shop.teller)).json()["items"]
    item = next(i for i in inbox if i["kind"] == "verification_link")
    assert item["url"].startswith("/verify-link/")
    token = item["url"].rsplit("/", 1)[1]
    link = links.read_token(app.state.rc.keyring, token)
    assert link.credential_id == cid
    # A non-member is no verifier; nobody but the holder may send it.
    register(client, "mallory")
    r = client.post(url, json={"to": "mallory"}, headers=auth(shop.alice))
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_verifier"
    r = client.post(url, json={"to": "cafe-teller"}, headers=auth(shop.owner))
    assert r.status_code == 403


def _tampered(token: str) -> str:
    """One character of the signature changed for another (never to itself, and not the
    last one, whose low bits base32 leaves unused)."""
    i = len(token) - 5
    return token[:i] + ("b" if token[i] != "b" else "c") + token[i + 1 :]


def test_link_tokens_expire_and_are_tamper_evident(app: Any) -> None:
    keyring = app.state.rc.keyring
    token = links.make_token(keyring, "ab" * 16, 7, 1_000)
    assert links.read_token(keyring, token, now=1_000 + 599).verifier_id == 7
    for bad, reason in ((token, "expired"), (_tampered(token), "bad_link"), ("x", "bad_link"),
                        (token.replace(".7.", ".8."), "bad_link")):  # fmt: skip
        try:
            links.read_token(keyring, bad, now=1_000 + 600 if reason == "expired" else 1_000)
        except links.LinkRefused as exc:
            assert exc.details["reason"] == reason
        else:
            raise AssertionError(bad)

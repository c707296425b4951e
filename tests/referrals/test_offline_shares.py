"""Shares made on the phone, offline (claim 5), through the API: the device's share key,
a child made from it alone (as the phone's JavaScript does), registered the first time
it is resolved and attributed to the device's user; the refusals, each with its reason.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register
from sqlalchemy import func, select, update

from relaycode.codes.share_tokens import decode_share_token, make_share_body
from relaycode.codes.tokens import decode_token
from relaycode.db.base import utcnow
from relaycode.models import Code, Device, Offer, ScanEvent


def share_key(client: TestClient, token: str) -> dict[str, Any]:
    r = client.post("/api/v1/me/device/share-key", headers=auth(token))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    key: dict[str, Any] = r.json()
    return key


def parent_ref(text: str, app: Any) -> bytes:
    keyring = app.state.rc.keyring
    body = text.rstrip("/").rsplit("/", 1)[-1]
    if "/S/" in text.upper():
        return decode_share_token(body, keyring.hmac_key).code_id
    return decode_token(body, keyring.hmac_key).code_id


def phone_made(key: dict[str, Any], parent: bytes, counter: int = 1) -> str:
    """What the phone computes, from the share key it was given and nothing else."""
    raw = base64.urlsafe_b64decode(key["key"] + "=" * (-len(key["key"]) % 4))
    body = make_share_body(key["kid"], raw, bytes.fromhex(key["device_pid"]), parent, counter)
    text: str = key["prefix"] + body
    return text


def scan(client: TestClient, text: str, token: str | None = None) -> dict[str, Any]:
    headers = auth(token) if token else {}
    r = client.post("/api/v1/scan", json={"text": text}, headers=headers)
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def world(client: TestClient, app: Any) -> dict[str, Any]:
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner)
    text = issue(client, owner, offer["id"], channel="poster")
    alice = register(client, "alice")
    key = share_key(client, alice)
    return {"owner": owner, "offer": offer, "text": text, "alice": alice, "key": key,
            "parent": parent_ref(text, app)}  # fmt: skip


def rows(app: Any) -> list[Code]:
    with app.state.rc.db.transaction() as db:
        return list(db.scalars(select(Code).where(Code.format_version == 2)))


def test_the_share_key_is_derived_and_stable(client: TestClient, app: Any) -> None:
    w = world(client, app)
    again = share_key(client, w["alice"])
    assert again == w["key"]
    assert w["key"]["format_version"] == 2 and w["key"]["prefix"] == "HTTPS://RC.TEST/S/"
    assert len(base64.urlsafe_b64decode(w["key"]["key"] + "=")) == 32
    assert len(w["key"]["device_pid"]) == 16
    bob = register(client, "bob")
    assert share_key(client, bob)["key"] != w["key"]["key"]  # per device
    # Signed out, or a merchant API key (no device): refused.
    assert client.post("/api/v1/me/device/share-key").status_code == 401


def test_first_resolve_registers_the_child_for_the_sharer(client: TestClient, app: Any) -> None:
    w = world(client, app)
    child = phone_made(w["key"], w["parent"])
    assert rows(app) == []  # nothing exists before it is resolved
    doc = scan(client, child)
    assert doc["verdict"] == "ours" and doc["reason"] is None
    assert doc["sharer"]["username"] == "alice"
    assert doc["offer"]["id"] == w["offer"]["id"]
    assert doc["code"]["text"] == child and doc["code"]["kind"] == "share"
    assert doc["target"] == "/S/" + child.rsplit("/", 1)[-1] + "?seen=1"
    [row] = rows(app)
    with app.state.rc.db.transaction() as db:
        root = db.scalar(select(Code).where(Code.kind == "offer"))
        device = db.scalar(select(Device).where(Device.id == row.device_id))
    assert root is not None and device is not None
    assert (row.kind, row.format_version, row.channel) == ("share", 2, "offline")
    assert row.parent_id == root.id and row.depth == root.depth + 1 == 1
    assert row.holder_user_id == device.user_id and row.offer_id == root.offer_id
    assert row.share_counter == 1 and row.status == "active"
    # Idempotent: the same text (another scanner, another case) is the same row.
    again = scan(client, child.lower(), w["owner"])
    assert again["code"]["id"] == doc["code"]["id"] == row.id
    assert len(rows(app)) == 1
    # The sharer's list has it, with its /S/ text and picture.
    mine = client.get("/api/v1/me/shares", headers=auth(w["alice"])).json()["items"]
    assert [m["code"] for m in mine] == [child]
    assert mine[0]["image_png"] == "/S/" + child.rsplit("/", 1)[-1] + "/qr.png"
    png = client.get(mine[0]["image_png"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"


def test_a_replayed_counter_is_the_same_code(client: TestClient, app: Any) -> None:
    w = world(client, app)
    first = phone_made(w["key"], w["parent"], counter=5)
    assert phone_made(w["key"], w["parent"], counter=5) == first  # deterministic
    other = phone_made(w["key"], w["parent"], counter=6)
    a, b = scan(client, first), scan(client, other)
    assert a["code"]["id"] != b["code"]["id"]
    assert scan(client, first)["code"]["id"] == a["code"]["id"]
    assert sorted(r.share_counter or 0 for r in rows(app)) == [5, 6]


def test_chains_of_phone_made_shares(client: TestClient, app: Any) -> None:
    w = world(client, app)
    child = phone_made(w["key"], w["parent"])
    bob = register(client, "bob")
    grandchild = phone_made(share_key(client, bob), parent_ref(child, app))
    # The grandchild is resolved first: its parent, never resolved, is not registered.
    doc = scan(client, grandchild)
    assert doc["verdict"] == "ours_invalid" and doc["reason"] == "unknown_parent"
    assert scan(client, child)["verdict"] == "ours"
    doc = scan(client, grandchild)
    assert doc["verdict"] == "ours" and doc["sharer"]["username"] == "bob"
    assert doc["code"]["depth"] == 2 and doc["code"]["parent_id"] == parent_ref(child, app).hex()
    # A phone-made share re-shared online: registered first, then the server's child.
    carol = register(client, "carol")
    r = client.post("/api/v1/shares", json={"code": grandchild}, headers=auth(carol))
    assert r.status_code == 201, r.text
    assert r.json()["depth"] == 3 and r.json()["code"].startswith("HTTPS://RC.TEST/C/")


def test_re_sharing_an_unresolved_phone_made_share_registers_it(
    client: TestClient, app: Any
) -> None:
    w = world(client, app)
    child = phone_made(w["key"], w["parent"])
    bob = register(client, "bob")
    r = client.post("/api/v1/shares", json={"code": child}, headers=auth(bob))
    assert r.status_code == 201, r.text
    assert r.json()["depth"] == 2
    [row] = rows(app)
    assert row.depth == 1 and row.id == r.json()["parent_id"]


def test_tampered_child_is_refused_before_any_database_work(client: TestClient, app: Any) -> None:
    w = world(client, app)
    child = phone_made(w["key"], w["parent"])
    body = child.rsplit("/", 1)[-1]
    alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for where in (10, 32, 44, 55):  # parent, pid, counter, tag
        changed = body[:where] + alpha[alpha.index(body[where]) ^ 8] + body[where + 1 :]
        doc = scan(client, "HTTPS://RC.TEST/S/" + changed)
        assert (doc["verdict"], doc["reason"]) == ("ours_invalid", "bad_tag"), where
    assert rows(app) == []
    page = client.get("/S/" + body[:-3] + "AAA")
    assert page.status_code == 400 and "not genuine" in page.text
    r = client.post("/api/v1/shares", json={"code": child[:-2] + "AA"}, headers=auth(w["owner"]))
    assert r.status_code == 422 and r.json()["error"]["details"]["reason"] in (
        "bad_tag",
        "malformed",
    )


def test_a_revoked_devices_children_are_refused(client: TestClient, app: Any) -> None:
    w = world(client, app)
    before = phone_made(w["key"], w["parent"], counter=1)
    assert scan(client, before)["verdict"] == "ours"  # registered while the device was fine
    after = phone_made(w["key"], w["parent"], counter=2)
    [device] = client.get("/api/v1/me/devices", headers=auth(w["alice"])).json()["items"]
    alice2 = register(client, "alice2")
    client.delete(f"/api/v1/me/devices/{device['device_uid']}", headers=auth(w["alice"]))
    doc = scan(client, after)
    assert (doc["verdict"], doc["reason"]) == ("ours_invalid", "device_revoked")
    assert doc["target"] == "/scan/invalid?reason=device_revoked"
    page = client.get("/S/" + after.rsplit("/", 1)[-1])
    assert page.status_code == 403
    assert "may no longer share" in page.text or "phone" in page.text
    r = client.post("/api/v1/shares", json={"code": after}, headers=auth(alice2))
    assert r.status_code == 403 and r.json()["error"]["code"] == "device_revoked"
    assert client.get("/scan/invalid?reason=device_revoked").status_code == 403
    # What was registered before stays a registered share.
    assert scan(client, before)["verdict"] == "ours"
    assert len(rows(app)) == 1


def test_an_unknown_parent_is_refused(client: TestClient, app: Any) -> None:
    w = world(client, app)
    orphan = phone_made(w["key"], bytes(range(16)))
    doc = scan(client, orphan)
    assert (doc["verdict"], doc["reason"]) == ("ours_invalid", "unknown_parent")
    page = client.get("/S/" + orphan.rsplit("/", 1)[-1])
    assert page.status_code == 404
    pasted = client.post("/api/v1/shares", json={"code": orphan}, headers=auth(w["owner"]))
    assert pasted.status_code == 404 and pasted.json()["error"]["code"] == "unknown_parent"
    assert rows(app) == []


def test_a_withdrawn_parent_or_ended_offer_is_refused(client: TestClient, app: Any) -> None:
    w = world(client, app)
    child = phone_made(w["key"], w["parent"])
    with app.state.rc.db.transaction() as db:
        db.execute(update(Code).where(Code.kind == "offer").values(status="revoked"))
    app.state.rc.resolver.cache.clear()
    assert scan(client, child)["reason"] == "revoked"
    with app.state.rc.db.transaction() as db:
        db.execute(update(Code).where(Code.kind == "offer").values(status="active"))
        db.execute(update(Offer).values(valid_until=utcnow()))
    assert scan(client, child)["reason"] == "expired"
    assert rows(app) == []


def test_the_share_page_registers_and_shows_the_sharer(client: TestClient, app: Any) -> None:
    w = world(client, app)
    child = phone_made(w["key"], w["parent"])
    token = child.rsplit("/", 1)[-1]
    page = client.get("/S/" + token)
    assert page.status_code == 200, page.text
    assert "Shared by alice" in page.text
    assert f'data-parent-code="{child}"' not in page.text  # signed out: a sign-in link
    assert client.get("/s/" + token.lower()).status_code == 200
    assert len(rows(app)) == 1
    # A scan event per opening without seen=1, pointing at the new row.
    app.state.rc.scans.flush()
    with app.state.rc.db.transaction() as db:
        count = db.scalar(
            select(func.count()).select_from(ScanEvent).where(ScanEvent.code_id == rows(app)[0].id)
        )
    assert count == 2
    # /out of our own /S/ link goes to its page.
    r = client.get("/out", params={"url": child}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/S/" + token


def test_the_merchant_finds_a_phone_made_share_by_its_text(client: TestClient, app: Any) -> None:
    w = world(client, app)
    child = phone_made(w["key"], w["parent"])
    code_id = scan(client, child)["code"]["id"]
    oid = w["offer"]["id"]
    found = client.get(
        f"/api/v1/offers/{oid}/codes", params={"q": child.lower()}, headers=auth(w["owner"])
    ).json()["items"]
    assert [c["id"] for c in found] == [code_id]
    assert found[0]["text"] == child
    forged = child[:-2] + ("AA" if not child.endswith("AA") else "BA")
    none = client.get(
        f"/api/v1/offers/{oid}/codes", params={"q": forged}, headers=auth(w["owner"])
    ).json()["items"]
    assert none == []

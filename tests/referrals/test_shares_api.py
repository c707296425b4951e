"""Re-sharing through the API: a child code per (parent, sharer), lineage to any depth,
what a scanner learns of the sharer, and the refusals, each with its stable code."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register
from sqlalchemy import select, update

from relaycode.codes.tokens import code_url, encode_token, new_code_id
from relaycode.db.base import utcnow
from relaycode.identity import service as identity
from relaycode.identity.schemas import RegisterIn
from relaycode.models import Code, Device, Offer, ScanEvent, User
from relaycode.referrals import repository as repo


def sign_ups(app: Any, names: list[str]) -> list[str]:
    """Accounts with API tokens, made directly (the sign-up rate limit is not the point)."""
    state = app.state.rc
    tokens = []
    with state.db.transaction() as db:
        for name in names:
            data = RegisterIn(username=name, password="correct horse 1")
            user = identity.register(db, state.passwords, data)
            device = identity.attach_device(db, user, None, "test")
            tokens.append(identity.start_session(db, user, device, kind="api", days=1).secret)
    return tokens


def _world(client: TestClient) -> dict[str, Any]:
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner)
    text = issue(client, owner, offer["id"], channel="poster")
    return {"owner": owner, "offer": offer, "text": text}


def _share(client: TestClient, token: str, code: str, **extra: Any) -> Any:
    return client.post("/api/v1/shares", json={"code": code, **extra}, headers=auth(token))


def _error(r: Any) -> str:
    code: str = r.json()["error"]["code"]
    return code


def test_a_share_is_a_child_code_carrying_the_sharer(client: TestClient, app: Any) -> None:
    w = _world(client)
    alice = register(client, "alice")
    r = _share(client, alice, w["text"], channel="wechat")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["created"] is True and body["depth"] == 1 and body["channel"] == "wechat"
    assert body["code"].startswith("HTTPS://RC.TEST/C/") and body["code"] != w["text"]
    assert body["url"] == "https://rc.test/C/" + body["code"].rsplit("/", 1)[-1]
    assert body["image_svg"].endswith("/qr.svg") and body["offer_id"] == w["offer"]["id"]
    parent_id = client.post("/api/v1/scan", json={"text": w["text"]}).json()["code"]["id"]
    assert body["parent_id"] == parent_id
    with app.state.rc.db.transaction() as db:
        row = db.get(Code, body["id"])
        user = db.scalar(select(User).where(User.username == "alice"))
        device = db.scalar(select(Device).where(Device.user_id == user.id)) if user else None
        assert row is not None and user is not None and device is not None
        assert (row.kind, row.holder_user_id, row.device_id) == ("share", user.id, device.id)
        assert (row.parent_id, row.depth, row.format_version) == (parent_id, 1, 1)
    # The child scans as ours, a share, naming its sharer.
    scan = client.post("/api/v1/scan", json={"text": body["code"]}).json()
    assert scan["verdict"] == "ours" and scan["code"]["kind"] == "share"
    assert scan["sharer"] == {"username": "alice", "display_name": None}
    assert scan["review"] is None and scan["offer"]["id"] == w["offer"]["id"]
    # An offer's own code has no sharer.
    assert client.post("/api/v1/scan", json={"text": w["text"]}).json()["sharer"] is None


def test_sharing_again_returns_the_same_child(client: TestClient, app: Any) -> None:
    w = _world(client)
    alice = register(client, "alice")
    first = _share(client, alice, w["text"], channel="wechat").json()
    again = _share(client, alice, w["text"].lower(), channel="sms")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert again.json()["created"] is False and again.json()["channel"] == "wechat"
    # Sharing one's own share passes that very code on.
    own = _share(client, alice, first["code"])
    assert own.status_code == 200 and own.json()["id"] == first["id"]
    # Someone else sharing it makes their own child, a generation further.
    bob = register(client, "bob")
    child = _share(client, bob, first["code"])
    assert child.status_code == 201 and child.json()["depth"] == 2
    assert child.json()["parent_id"] == first["id"]
    # A withdrawn share no longer counts: sharing again makes a new one.
    r = client.post(f"/api/v1/codes/{first['id']}/revoke", headers=auth(w["owner"]))
    assert r.status_code == 200, r.text
    fresh = _share(client, alice, w["text"])
    assert fresh.status_code == 201 and fresh.json()["id"] != first["id"]
    with app.state.rc.db.transaction() as db:
        shares = db.scalars(select(Code).where(Code.kind == "share")).all()
        assert len(shares) == 3


def test_chains_go_to_any_depth_and_lineage_walks_them(client: TestClient, app: Any) -> None:
    w = _world(client)
    text, ids = w["text"], []
    for token in sign_ups(app, [f"user{i}" for i in range(64)]):
        r = _share(client, token, text)
        assert r.status_code == 201, r.text
        text = r.json()["code"]
        ids.append(r.json()["id"])
    assert r.json()["depth"] == 64
    with app.state.rc.db.transaction() as db:
        chain = repo.lineage(db, ids[-1])
        assert [c.depth for c in chain] == list(range(65))
        assert chain[0].parent_id is None and chain[0].kind == "offer"
        assert [c.id for c in chain[1:]] == ids
        assert all(c.parent_id == p.id for p, c in pairwise(chain))
        # Bounded: the nearest generations, the code last.
        near = repo.lineage(db, ids[-1], max_length=3)
        assert [c.id for c in near] == ids[-3:] and near[0].parent_id == ids[-4]
        assert repo.lineage(db, ids[-1].upper())[-1].id == ids[-1]
        assert repo.lineage(db, "0" * 32) == [] and repo.lineage(db, ids[0], max_length=0) == []
    scan = client.post("/api/v1/scan", json={"text": text}).json()
    assert scan["sharer"]["username"] == "user63" and scan["code"]["depth"] == 64


def test_the_sharer_is_shown_by_name_never_by_phone(client: TestClient) -> None:
    w = _world(client)
    r = client.post(
        "/api/v1/auth/register",
        json={
            "username": "carol",
            "password": "correct horse 1",
            "display_name": "Carol W.",
            "phone": "+8613800138000",
            "email": "carol@example.com",
        },
    )
    carol = r.json()["token"]
    share = _share(client, carol, w["text"]).json()
    scan = client.post("/api/v1/scan", json={"text": share["code"]})
    assert scan.json()["sharer"] == {"username": "carol", "display_name": "Carol W."}
    assert "13800138000" not in scan.text and "example.com" not in scan.text
    page = client.get("/C/" + share["code"].rsplit("/", 1)[-1])
    assert page.status_code == 200 and "Carol W." in page.text
    assert "13800138000" not in page.text


def test_a_device_only_account_can_share(client: TestClient) -> None:
    w = _world(client)
    r = client.post("/api/v1/auth/device", json={"device_label": "kiosk"})
    assert r.status_code == 201, r.text
    share = _share(client, r.json()["token"], w["text"])
    assert share.status_code == 201, share.text
    scan = client.post("/api/v1/scan", json={"text": share.json()["code"]}).json()
    assert scan["sharer"] == {"username": None, "display_name": None}


def test_reviews_reach_scanners_at_once(client: TestClient, app: Any) -> None:
    w = _world(client)
    alice = register(client, "alice")
    share = _share(client, alice, w["text"]).json()
    scan = {"text": share["code"]}
    assert client.post("/api/v1/scan", json=scan).json()["review"] is None  # now cached
    r = client.put(
        f"/api/v1/shares/{share['id']}/review",
        json={"rating": 5, "text": "  Smooth, sweet finish.\nWould buy again.  "},
        headers=auth(alice),
    )
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "Smooth, sweet finish.\nWould buy again."
    review = client.post("/api/v1/scan", json=scan).json()["review"]
    assert review["rating"] == 5 and review["text"].startswith("Smooth")
    r = client.put(
        f"/api/v1/shares/{share['id'].upper()}/review", json={"rating": 2}, headers=auth(alice)
    )
    assert r.status_code == 200 and r.json()["text"] == ""
    assert client.post("/api/v1/scan", json=scan).json()["review"]["rating"] == 2
    # Renaming the sharer reaches scanners at once too.
    with app.state.rc.db.transaction() as db:
        user = db.scalar(select(User).where(User.username == "alice"))
        assert user is not None
        user.display_name = "Alice L."
    assert client.post("/api/v1/scan", json=scan).json()["sharer"]["display_name"] == "Alice L."
    r = client.delete(f"/api/v1/shares/{share['id']}/review", headers=auth(alice))
    assert r.status_code == 204
    assert client.post("/api/v1/scan", json=scan).json()["review"] is None
    mine = client.get("/api/v1/me/shares", headers=auth(alice)).json()
    assert [s["id"] for s in mine["items"]] == [share["id"]] and mine["next_cursor"] is None


def test_only_the_sharer_reviews_a_share(client: TestClient) -> None:
    w = _world(client)
    alice, bob = register(client, "alice"), register(client, "bob")
    share = _share(client, alice, w["text"]).json()
    body = {"rating": 4, "text": "mine"}
    r = client.put(f"/api/v1/shares/{share['id']}/review", json=body, headers=auth(bob))
    assert r.status_code == 403 and _error(r) == "not_your_share"
    offer_code = client.post("/api/v1/scan", json={"text": w["text"]}).json()["code"]["id"]
    r = client.put(f"/api/v1/shares/{offer_code}/review", json=body, headers=auth(w["owner"]))
    assert r.status_code == 403 and _error(r) == "not_your_share"
    r = client.put(f"/api/v1/shares/{'a' * 32}/review", json=body, headers=auth(alice))
    assert r.status_code == 404 and _error(r) == "code_not_found"
    r = client.put(f"/api/v1/shares/{share['id']}/review", json=body)
    assert r.status_code == 401
    r = client.delete(f"/api/v1/shares/{share['id']}/review", headers=auth(bob))
    assert r.status_code == 403


def test_refusals_have_stable_codes(client: TestClient, app: Any) -> None:
    w = _world(client)
    alice = register(client, "alice")
    assert _error(client.post("/api/v1/shares", json={"code": w["text"]})) == "not_signed_in"
    cases = {
        "https://evil.example/C/" + w["text"].rsplit("/", 1)[-1]: (422, "foreign_code"),
        "hello there": (422, "not_a_code"),
        "4006381333931": (422, "not_a_code"),
        "javascript:alert(1)": (422, "not_a_code"),
        w["text"][:-2] + ("AA" if not w["text"].endswith("AA") else "BB"): (422, "invalid_code"),
        "HTTPS://RC.TEST/C/ABC": (422, "invalid_code"),
    }
    for text, (status, code) in cases.items():
        r = _share(client, alice, text)
        assert (r.status_code, _error(r)) == (status, code), (text, r.text)
    r = _share(client, alice, "HTTPS://RC.TEST/C/ABC")
    assert r.json()["error"]["details"]["reason"] == "malformed"
    # A tag that verifies for an id we never stored.
    kid, secret = app.state.rc.keyring.active_hmac()
    ghost = code_url("HTTPS", "RC.TEST", encode_token(kid, secret, new_code_id()))
    r = _share(client, alice, ghost)
    assert (r.status_code, _error(r)) == (404, "unknown_code")


def test_withdrawn_ended_and_archived_parents(client: TestClient, app: Any) -> None:
    w = _world(client)
    alice = register(client, "alice")
    state = app.state.rc
    parent_id = client.post("/api/v1/scan", json={"text": w["text"]}).json()["code"]["id"]
    # Paused: still shareable (its page says it is paused).
    r = client.post(f"/api/v1/offers/{w['offer']['id']}/pause", headers=auth(w["owner"]))
    assert r.status_code == 200, r.text
    assert _share(client, alice, w["text"]).status_code == 201
    with state.db.transaction() as db:
        db.execute(update(Code).where(Code.id == parent_id).values(expires_at=utcnow()))
    bob = register(client, "bob")
    r = _share(client, bob, w["text"])
    assert (r.status_code, _error(r)) == (410, "code_expired")
    with state.db.transaction() as db:
        db.execute(update(Code).where(Code.id == parent_id).values(expires_at=None))
        db.execute(update(Offer).values(valid_until=utcnow() - timedelta(seconds=1)))
    r = _share(client, bob, w["text"])
    assert (r.status_code, _error(r)) == (409, "offer_expired")
    with state.db.transaction() as db:
        db.execute(update(Offer).values(valid_until=None, status="archived"))
    r = _share(client, bob, w["text"])
    assert (r.status_code, _error(r)) == (409, "offer_archived")
    with state.db.transaction() as db:
        db.execute(update(Offer).values(status="active"))
    r = client.post(f"/api/v1/codes/{parent_id}/revoke", headers=auth(w["owner"]))
    assert r.status_code == 200
    r = _share(client, bob, w["text"])
    assert (r.status_code, _error(r)) == (410, "code_revoked")


def test_scan_counts_leave_out_bots_and_staff(client: TestClient, app: Any) -> None:
    w = _world(client)
    alice = register(client, "alice")
    share = _share(client, alice, w["text"]).json()
    scan = {"text": share["code"]}
    browser = {"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0"}
    for agent in (
        "WhatsApp/2.23.20.0 A",
        "facebookexternalhit/1.1",
        "TelegramBot (like TwitterBot)",
    ):
        client.post("/api/v1/scan", json=scan, headers={"user-agent": agent})
    client.get("/C/" + share["code"].rsplit("/", 1)[-1], headers={"user-agent": "Slackbot 1.0"})
    client.post("/api/v1/scan", json=scan, headers={**auth(w["owner"]), **browser})  # staff
    client.post("/api/v1/scan", json=scan, headers=browser)
    client.post("/api/v1/scan", json=scan, headers={**auth(alice), **browser})
    app.state.rc.scans.flush()
    mine = client.get("/api/v1/me/shares", headers=auth(alice)).json()["items"]
    assert [s["scans"] for s in mine] == [2]
    with app.state.rc.db.transaction() as db:
        assert repo.scan_counts(db, [share["id"], "f" * 32]) == {share["id"]: 2, "f" * 32: 0}
        flags = db.execute(
            select(ScanEvent.is_bot, ScanEvent.is_staff).where(ScanEvent.code_id == share["id"])
        ).all()
    assert sorted(map(tuple, flags)) == sorted(
        [(True, False)] * 4 + [(False, True), (False, False), (False, False)]
    )

"""Issue → claim → present → redeem, and the refusals on the way (Figs. 7-9)."""

from __future__ import annotations

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth


@pytest.fixture
def world(client: TestClient) -> World:
    return make_world(client)


def test_issue_claim_present_redeem(client: TestClient, world: World) -> None:
    tid = world.template(client)
    item = world.issue(client, tid)
    assert item["status"] == "issued" and item["holder"] == "alice"
    assert "alice" not in item["text"].lower()
    c = world.claim(client, item["text"])
    assert c["status"] == "active" and c["uses_left"] == 1
    assert c["fields"]["amount"] == 50000 and len(c["id"]) == 32
    again = client.post("/api/v1/claims", json={"text": item["text"]}, headers=auth(world.alice))
    assert again.status_code == 200 and again.json()["id"] == c["id"]
    text = world.present(client, c["id"])
    r = world.redeem(client, text, "n1", station="desk 3")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["verdict"] == "accepted" and body["uses_left"] == 0
    replay = world.redeem(client, text, "n1", station="desk 3")
    assert replay.status_code == 201 and replay.json() == body
    assert replay.headers["Idempotent-Replayed"] == "true"
    second = world.redeem(client, text, "n2")
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_redeemed"
    mine = client.get("/api/v1/me/credentials", headers=auth(world.alice)).json()
    assert [x["status"] for x in mine["items"]] == ["exhausted"]
    log = client.get(
        f"/api/v1/merchants/{world.merchant_id}/credential-audit", headers=auth(world.owner)
    )
    assert log.status_code == 200
    actions = [a["action"] for a in log.json()["items"]]
    assert actions == ["redeem_refused", "redeemed", "claimed", "issued"]
    assert log.json()["items"][1]["station"] == "desk 3"
    csv = client.get(
        f"/api/v1/merchants/{world.merchant_id}/credential-audit.csv", headers=auth(world.owner)
    )
    assert csv.status_code == 200 and csv.text.count("\r\n") == 5


def test_someone_else_cannot_claim_and_learns_nothing(client: TestClient, world: World) -> None:
    tid = world.template(client)
    item = world.issue(client, tid)
    r = client.post("/api/v1/claims", json={"text": item["text"]}, headers=auth(world.bob))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_holder"
    assert "alice" not in r.text
    scan = client.post("/api/v1/scan", json={"text": item["text"]})
    assert scan.status_code == 200
    doc = scan.json()
    assert doc["code"]["kind"] == "credential_item" and doc["action"] == "claim"
    assert "alice" not in scan.text and doc["sharer"] is None
    page = client.get("/C/" + item["text"].rsplit("/", 1)[1])
    assert page.status_code == 200 and "alice" not in page.text.lower()


def test_endorsement_revokes_the_old_one(client: TestClient, world: World) -> None:
    tid = world.template(client)
    cid, old_text = world.credential(client, tid)
    r = client.post(
        f"/api/v1/credentials/{cid}/endorse", json={"to": "bob"}, headers=auth(world.alice)
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["generation"] == 1 and new["parent_id"] == cid
    refused = world.redeem(client, old_text, "old")
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "revoked"
    again = client.post(
        f"/api/v1/credentials/{cid}/endorse", json={"to": "bob"}, headers=auth(world.alice)
    )
    assert again.json()["error"]["code"] in ("not_holder", "credential_not_active")
    new_text = world.present(client, new["id"], world.bob)
    assert world.redeem(client, new_text, "new").status_code == 201
    chain = client.get(f"/api/v1/credentials/{new['id']}/chain", headers=auth(world.teller))
    assert [(x["generation"], x["status"]) for x in chain.json()] == [
        (0, "endorsed"),
        (1, "exhausted"),
    ]
    rl = client.get("/api/v1/revocations?since=0").json()
    assert [(x["cti"], x["reason"]) for x in rl["revoked"]] == [(cid, "endorsed")]
    assert client.get(f"/api/v1/revocations?since={rl['version']}").json()["revoked"] == []
    inbox = client.get("/api/v1/me/inbox", headers=auth(world.bob)).json()
    assert any(i["kind"] == "credential_received" for i in inbox["items"])


def test_endorsement_refusals(client: TestClient, world: World) -> None:
    fixed = world.template(client, transferable=False, max_endorsements=0)
    cid, _ = world.credential(client, fixed)
    r = client.post(
        f"/api/v1/credentials/{cid}/endorse", json={"to": "bob"}, headers=auth(world.alice)
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_transferable"
    r = client.post(
        f"/api/v1/credentials/{cid}/endorse", json={"to": "alice"}, headers=auth(world.bob)
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_holder"
    once = world.template(client, max_endorsements=1)
    cid, _ = world.credential(client, once)
    r = client.post(
        f"/api/v1/credentials/{cid}/endorse", json={"to": "bob"}, headers=auth(world.alice)
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/v1/credentials/{r.json()['id']}/endorse",
        json={"to": "alice"},
        headers=auth(world.bob),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "endorsements_exhausted"


def test_count_mode_and_balance(client: TestClient, world: World) -> None:
    three = world.template(client, use_mode="count", max_uses=3)
    _, text = world.credential(client, three)
    codes = [world.redeem(client, text, f"c{i}").status_code for i in range(4)]
    assert codes == [201, 201, 201, 409]
    bal = world.template(client, use_mode="balance", currency="CNY")
    _, text = world.credential(client, bal, amount=1000)
    r = world.redeem(client, text, "b1", amount=600)
    assert r.status_code == 201 and r.json()["balance_minor"] == 400
    r = world.redeem(client, text, "b2", amount=500)
    assert r.status_code == 409 and r.json()["error"]["code"] == "insufficient_balance"
    r = world.redeem(client, text, "b3")
    assert r.status_code == 422 and r.json()["error"]["code"] == "amount_required"
    r = world.redeem(client, text, "b4", amount=400)
    assert r.status_code == 201 and r.json()["balance_minor"] == 0
    r = world.redeem(client, text, "b5", amount=1)
    assert r.json()["error"]["code"] == "already_redeemed"


def test_verifier_of_another_merchant_and_verifications(client: TestClient, world: World) -> None:
    tid = world.template(client, show_holder_name=True)
    cid, text = world.credential(client, tid)
    r = client.post(
        "/api/v1/merchants", json={"slug": "other", "name": "O"}, headers=auth(world.bob)
    )
    assert r.status_code == 201
    r = client.post(
        "/api/v1/redemptions", json={"text": text, "nonce": "x"}, headers=auth(world.bob)
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_merchant"
    v = client.post("/api/v1/verifications", json={"text": text}, headers=auth(world.teller))
    assert v.status_code == 200 and v.json()["verdict"] == "valid"
    assert v.json()["holder_name"] == "alice"
    forged = text[:-10] + ("B" if text[-10] != "B" else "C") + text[-9:]
    v = client.post("/api/v1/verifications", json={"text": forged}, headers=auth(world.teller))
    assert v.json()["verdict"] == "invalid" and v.json()["reason"] in ("bad_tag", "malformed")
    r = client.post(f"/api/v1/credentials/{cid}/revoke", headers=auth(world.owner))
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    v = client.post("/api/v1/verifications", json={"text": text}, headers=auth(world.teller))
    assert v.json()["verdict"] == "invalid" and v.json()["reason"] == "revoked"


def test_presentation_forms(client: TestClient, world: World) -> None:
    tid = world.template(client)
    cid, _ = world.credential(client, tid)
    url = f"/api/v1/credentials/{cid}/presentation"
    r = client.get(url + "?form=signed", headers=auth(world.alice))
    assert r.status_code == 200 and r.json()["text"].startswith("CR1:")
    signed = r.json()["text"]
    v = client.post("/api/v1/verifications", json={"text": signed}, headers=auth(world.teller))
    assert v.status_code == 200 and v.json()["verdict"] == "valid", v.text
    forged = signed[:-6] + ("A" if signed[-6] != "A" else "B") + signed[-5:]
    v = client.post("/api/v1/verifications", json={"text": forged}, headers=auth(world.teller))
    assert v.json()["verdict"] == "invalid"
    assert v.json()["reason"] in ("bad_signature", "malformed"), v.text
    r = client.get(url + "?form=rotating", headers=auth(world.alice))
    assert r.status_code == 422 and r.json()["error"]["code"] == "form_not_allowed"
    r = client.get(url, headers=auth(world.bob))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_holder"
    r = client.post(f"/api/v1/credentials/{cid}/revoke", headers=auth(world.owner))
    assert r.status_code == 200
    v = client.post("/api/v1/verifications", json={"text": signed}, headers=auth(world.teller))
    assert (v.json()["verdict"], v.json()["reason"]) == ("invalid", "revoked")


def test_merchant_webhooks_hear_of_credentials(client: TestClient, world: World) -> None:
    events = ["credential.claimed", "credential.endorsed", "credential.redeemed",
              "credential.revoked"]  # fmt: skip
    hook = client.post(
        f"/api/v1/merchants/{world.merchant_id}/webhooks",
        json={"url": "https://hooks.example.com/in", "events": events},
        headers=auth(world.owner),
    )
    assert hook.status_code == 201, hook.text
    tid = world.template(client)
    cid, _ = world.credential(client, tid)
    r = client.post(
        f"/api/v1/credentials/{cid}/endorse", json={"to": "bob"}, headers=auth(world.alice)
    )
    new = r.json()["id"]
    assert world.redeem(client, world.present(client, new, world.bob), "w").status_code == 201
    assert (
        client.post(f"/api/v1/credentials/{new}/revoke", headers=auth(world.owner)).status_code
        == 200
    )
    log = client.get(
        f"/api/v1/merchants/{world.merchant_id}/webhooks/{hook.json()['id']}/deliveries",
        headers=auth(world.owner),
    ).json()
    assert sorted(d["event_type"] for d in log["items"]) == sorted(events)
    assert "alice" not in str(log) and "bob" not in str(log)


def test_windows_and_the_scan_of_a_revoked_credential(client: TestClient, world: World) -> None:
    later = world.template(client, valid_from="2999-01-01T00:00:00Z")
    _, text = world.credential(client, later)
    r = world.redeem(client, text, "early")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_yet_valid"
    ended = world.template(
        client, valid_from="2000-01-01T00:00:00Z", valid_until="2001-01-01T00:00:00Z"
    )
    item = world.issue(client, ended)
    c = world.claim(client, item["text"])
    assert c["status"] == "expired"
    r = client.get(f"/api/v1/credentials/{c['id']}/presentation", headers=auth(world.alice))
    assert r.status_code == 409 and r.json()["error"]["code"] == "credential_not_active"
    cid, text = world.credential(client, world.template(client))
    scan = client.post("/api/v1/scan", json={"text": text}).json()
    assert scan["code"]["kind"] == "credential" and scan["action"] == "verify"
    client.post(f"/api/v1/credentials/{cid}/revoke", headers=auth(world.owner))
    scan = client.post("/api/v1/scan", json={"text": text}).json()
    assert (scan["verdict"], scan["reason"]) == ("ours_invalid", "revoked")
    r = world.redeem(client, text, "late")
    assert r.status_code == 410 and r.json()["error"]["code"] == "revoked"

"""The combining game through the API: a 4-generation chain O → H → H makes water, the
rules for attributes, who may do what, and the scan answer's ``game`` part."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from game_support import WATER, player, scan_game, share, water_game
from helpers import auth, issue, merchant_with_offer, register


def _err(r: Any) -> str:
    code: str = r.json()["error"]["code"]
    return code


def test_four_generations_o_h_h_make_water(client: TestClient) -> None:
    world = water_game(client)
    o, h1, h2 = (player(client, world, n, a) for n, a in (("olga", "O"), ("hugo", "H"),
                                                          ("hana", "H")))  # fmt: skip
    root = scan_game(client, world["root"])
    assert root is not None and root["composition"] == {} and root["result"] is None
    assert [n["title"] for n in root["next"]] == ["Hydrogen gas", "Water", "Carbon dioxide"]
    c1 = share(client, o, world["root"])
    c2 = share(client, h1, c1)
    assert scan_game(client, c2) == {
        "composition": {"O": 1, "H": 1},
        "result": None,
        "next": [{"title": "Water", "items": {"O": 1, "H": 2}, "missing": {"H": 1}}],
        "hints": True,
        "attributes": WATER["attributes"],
    }
    c3 = share(client, h2, c2)
    game = scan_game(client, c3)
    assert game is not None
    assert game["composition"] == {"O": 1, "H": 2}
    assert game["result"] == {"title": "Water", "description": "H₂O", "reward": "Free tea",
                              "items": {"O": 1, "H": 2}}  # fmt: skip
    assert game["next"] == []
    # The rest of the answer is as for any share (nothing existing changed shape).
    body = client.post("/api/v1/scan", json={"text": c3}).json()
    assert body["verdict"] == "ours" and body["sharer"]["username"] == "hana"
    assert body["code"]["depth"] == 3
    # Any number of generations: one more hydrogen, and it is water no more.
    h3 = player(client, world, "hedy", "H")
    c4 = share(client, h3, c3)
    fourth = scan_game(client, c4)
    assert fourth is not None and fourth["composition"] == {"O": 1, "H": 3}
    assert fourth["result"] is None and fourth["next"] == []


def test_order_of_sharing_does_not_matter(client: TestClient) -> None:
    world = water_game(client)
    h1, h2, o = (player(client, world, n, a) for n, a in (("hugo", "H"), ("hana", "H"),
                                                          ("olga", "O")))  # fmt: skip
    first = share(client, h1, world["root"])
    gas = scan_game(client, share(client, h2, first))
    assert gas is not None and gas["result"] is not None
    assert gas["result"]["title"] == "Hydrogen gas"
    code = share(client, o, share(client, h2, first))  # the same share as before, then O
    water = scan_game(client, code)
    assert water is not None and water["result"] is not None
    assert water["result"]["title"] == "Water"


def test_a_standard_offer_has_no_game_in_its_answer(client: TestClient) -> None:
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner)
    text = issue(client, owner, offer["id"])
    assert client.post("/api/v1/scan", json={"text": text}).json()["game"] is None
    r = client.get(f"/api/v1/offers/{offer['id']}/game", headers=auth(owner))
    assert r.status_code == 404 and _err(r) == "not_a_game"


def test_sharer_without_attribute_is_refused_then_joins(client: TestClient) -> None:
    world = water_game(client, assignment="choose")
    nobody = register(client, "nobody")
    r = client.post("/api/v1/shares", json={"code": world["root"]}, headers=auth(nobody))
    assert r.status_code == 409 and _err(r) == "no_attribute"
    assert r.json()["error"]["details"]["attributes"] == ["O", "H", "C"]
    path = f"/api/v1/offers/{world['offer_id']}/game"
    assert client.get(path + "/me", headers=auth(nobody)).status_code == 404
    r = client.post(path + "/join", json={}, headers=auth(nobody))
    assert r.status_code == 422 and _err(r) == "attribute_required"
    r = client.post(path + "/join", json={"attribute": "X"}, headers=auth(nobody))
    assert r.status_code == 422 and _err(r) == "unknown_attribute"
    r = client.post(path + "/join", json={"attribute": "H"}, headers=auth(nobody))
    assert r.status_code == 201 and r.json()["attribute"] == "H"
    r = client.post(path + "/join", json={"attribute": "O"}, headers=auth(nobody))
    assert r.status_code == 201 and r.json()["attribute"] == "O"  # changed before sharing
    assert (
        client.post(path + "/join", json={"attribute": "O"}, headers=auth(nobody)).status_code
        == 200
    )
    code = share(client, nobody, world["root"])
    assert (scan_game(client, code) or {})["composition"] == {"O": 1}
    r = client.post(path + "/join", json={"attribute": "H"}, headers=auth(nobody))
    assert r.status_code == 409 and _err(r) == "attribute_locked"
    me = client.get(path + "/me", headers=auth(nobody)).json()
    assert me == {"offer_id": world["offer_id"], "username": "nobody", "attribute": "O",
                  "label": "Oxygen", "assigned_by": "player", "locked": True}  # fmt: skip


def test_round_robin_deals_the_fewest_held(client: TestClient) -> None:
    world = water_game(client, assignment="round_robin")
    path = f"/api/v1/offers/{world['offer_id']}/game"
    dealt = []
    for i in range(4):
        token = register(client, f"user{i}")
        r = client.post(path + "/join", headers=auth(token))
        assert r.status_code == 201, r.text
        dealt.append(r.json()["attribute"])
    assert dealt == ["O", "H", "C", "O"]
    r = client.post(path + "/join", json={"attribute": "C"}, headers=auth(token))
    assert r.status_code == 403 and _err(r) == "not_yours_to_pick"
    # A sharer with no attribute is dealt one by sharing itself.
    late = register(client, "late")
    code = share(client, late, world["root"])
    assert (scan_game(client, code) or {})["composition"] == {"H": 1}


def test_merchant_mode_players_cannot_pick(client: TestClient) -> None:
    world = water_game(client)  # assignment "merchant"
    token = player(client, world, "olga", "O")
    path = f"/api/v1/offers/{world['offer_id']}/game"
    r = client.post(path + "/join", json={"attribute": "H"}, headers=auth(token))
    assert r.status_code == 403 and _err(r) == "not_yours_to_pick"
    assert client.post(path + "/join", headers=auth(token)).status_code == 200
    stranger = register(client, "stranger")
    r = client.post("/api/v1/shares", json={"code": world["root"]}, headers=auth(stranger))
    assert r.status_code == 409 and _err(r) == "no_attribute"


def test_attribute_fixed_once_shared_and_removal_rules(client: TestClient) -> None:
    world = water_game(client)
    owner, oid = world["owner"], world["offer_id"]
    token = player(client, world, "olga", "O")
    path = f"/api/v1/offers/{oid}/game/players"
    r = client.put(f"{path}/olga", json={"attribute": "H"}, headers=auth(owner))
    assert r.status_code == 200 and r.json()["attribute"] == "H"  # not shared yet
    share(client, token, world["root"])
    r = client.put(f"{path}/olga", json={"attribute": "O"}, headers=auth(owner))
    assert r.status_code == 409 and _err(r) == "attribute_locked"
    r = client.delete(f"{path}/olga", headers=auth(owner))
    assert r.status_code == 409 and _err(r) == "attribute_locked"
    r = client.put(f"{path}/ghost", json={"attribute": "O"}, headers=auth(owner))
    assert r.status_code == 404 and _err(r) == "user_not_found"
    r = client.put(f"{path}/olga", json={"attribute": "Z"}, headers=auth(owner))
    assert r.status_code == 422 and _err(r) == "unknown_attribute"
    listed = client.get(path, headers=auth(owner)).json()
    assert [(p["username"], p["attribute"], p["locked"]) for p in listed["items"]] == [
        ("olga", "H", True)
    ]
    # The game may not lose an attribute a player holds, nor be turned off once shared.
    fewer = {**WATER, "attributes": WATER["attributes"][:1], "recipes": []}
    r = client.put(f"/api/v1/offers/{oid}/game", json=fewer, headers=auth(owner))
    assert r.status_code == 409 and _err(r) == "attribute_in_use"
    assert r.json()["error"]["details"]["attributes"] == ["H"]
    r = client.delete(f"/api/v1/offers/{oid}/game", headers=auth(owner))
    assert r.status_code == 409 and _err(r) == "game_in_play"
    got = client.get(f"/api/v1/offers/{oid}/game", headers=auth(owner)).json()
    assert got["players"] == [{"key": "O", "label": "Oxygen", "players": 0},
                              {"key": "H", "label": "Hydrogen", "players": 1},
                              {"key": "C", "label": "Carbon", "players": 0}]  # fmt: skip


def test_turning_a_game_off_before_anyone_shared(client: TestClient) -> None:
    world = water_game(client)
    owner, oid = world["owner"], world["offer_id"]
    player(client, world, "olga", "O")
    version = client.get(f"/api/v1/offers/{oid}/game", headers=auth(owner)).json()["version"]
    r = client.delete(f"/api/v1/offers/{oid}/game", headers={**auth(owner), "If-Match": "1"})
    assert r.status_code == 409 and _err(r) == "version_conflict"
    r = client.delete(
        f"/api/v1/offers/{oid}/game", headers={**auth(owner), "If-Match": str(version)}
    )
    assert r.status_code == 204
    assert scan_game(client, world["root"]) is None
    r = client.get(f"/api/v1/offers/{oid}/game/players", headers=auth(owner))
    assert r.status_code == 404


def test_staff_only_and_no_strangers(client: TestClient) -> None:
    world = water_game(client)
    oid = world["offer_id"]
    stranger = register(client, "stranger")
    for method, path, body in (
        ("GET", f"/api/v1/offers/{oid}/game", None),
        ("PUT", f"/api/v1/offers/{oid}/game", WATER),
        ("DELETE", f"/api/v1/offers/{oid}/game", None),
        ("GET", f"/api/v1/offers/{oid}/game/players", None),
        ("PUT", f"/api/v1/offers/{oid}/game/players/stranger", {"attribute": "O"}),
        ("DELETE", f"/api/v1/offers/{oid}/game/players/stranger", None),
    ):
        r = client.request(method, path, json=body, headers=auth(stranger))
        assert r.status_code == 403, (method, path, r.text)
        r = client.request(method, path, json=body)
        assert r.status_code == 401, (method, path, r.text)
    assert client.post(f"/api/v1/offers/{oid}/game/join", json={}).status_code == 401
    r = client.post("/api/v1/offers/999999/game/join", json={}, headers=auth(stranger))
    assert r.status_code == 404


def test_a_player_added_late_changes_old_codes_at_once(client: TestClient) -> None:
    """A standard offer shared first, then made a game: a sharer given an attribute
    afterwards adds it to the code they made (the cached answer is dropped)."""
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner)
    root = issue(client, owner, offer["id"])
    early = register(client, "early")
    code = share(client, early, root)
    assert client.post("/api/v1/scan", json={"text": code}).json()["game"] is None
    r = client.put(f"/api/v1/offers/{offer['id']}/game", json=WATER, headers=auth(owner))
    assert r.status_code == 200
    assert (scan_game(client, code) or {})["composition"] == {}
    r = client.put(
        f"/api/v1/offers/{offer['id']}/game/players/early",
        json={"attribute": "C"},
        headers=auth(owner),
    )
    assert r.status_code == 200 and r.json()["locked"] is True
    assert (scan_game(client, code) or {})["composition"] == {"C": 1}


def test_the_offer_says_its_kind(client: TestClient) -> None:
    world = water_game(client)
    listed = client.get("/api/v1/merchants/shop/offers", headers=auth(world["owner"])).json()
    assert [o["kind"] for o in listed["items"]] == ["combine"]
    assert world["game"]["kind"] == "combine" and world["game"]["assignment"] == "merchant"

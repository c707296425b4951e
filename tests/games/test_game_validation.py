"""Hostile and invalid games are refused with a 4xx and a code, never a 500."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from game_support import WATER, water_game
from helpers import auth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _put(client: TestClient, world: dict[str, Any], body: Any) -> Any:
    return client.put(
        f"/api/v1/offers/{world['offer_id']}/game", json=body, headers=auth(world["owner"])
    )


def _attrs(n: int) -> list[dict[str, str]]:
    return [{"key": f"A{i}", "label": f"Attribute {i}"} for i in range(n)]


CASES: list[tuple[str, Any, str]] = [
    ("no attributes", {"attributes": [], "recipes": []}, "invalid_input"),
    ("21 attributes", {"attributes": _attrs(21)}, "invalid_input"),
    (
        "51 recipes",
        {
            "attributes": _attrs(20),
            "recipes": [
                {"items": ["A0"] * (1 + i % 10) + [f"A{i % 20}"], "title": "x"} for i in range(51)
            ],
        },
        "invalid_input",
    ),
    (
        "11 items",
        {"attributes": _attrs(2), "recipes": [{"items": ["A0"] * 11, "title": "x"}]},
        "invalid_input",
    ),
    (
        "empty recipe",
        {"attributes": _attrs(2), "recipes": [{"items": [], "title": "x"}]},
        "invalid_input",
    ),
    ("label 41", {"attributes": [{"key": "O", "label": "x" * 41}]}, "invalid_input"),
    ("empty label", {"attributes": [{"key": "O", "label": ""}]}, "invalid_input"),
    ("NUL in label", {"attributes": [{"key": "O", "label": "ox\x00"}]}, "invalid_input"),
    ("comma key", {"attributes": [{"key": "O,H", "label": "x"}]}, "invalid_input"),
    ("long key", {"attributes": [{"key": "O" * 17, "label": "x"}]}, "invalid_input"),
    ("digit first", {"attributes": [{"key": "1O", "label": "x"}]}, "invalid_input"),
    (
        "unknown attribute",
        {"attributes": _attrs(2), "recipes": [{"items": ["A0", "Zz"], "title": "x"}]},
        "unknown_attribute",
    ),
    (
        "duplicate key",
        {"attributes": [{"key": "O", "label": "a"}, {"key": "O", "label": "b"}]},
        "duplicate_attribute",
    ),
    (
        "case duplicate",
        {"attributes": [{"key": "h", "label": "a"}, {"key": "H", "label": "b"}]},
        "duplicate_attribute",
    ),
    (
        "duplicate recipe",
        {
            **WATER,
            "recipes": [
                {"items": ["O", "H", "H"], "title": "a"},
                {"items": ["H", "O", "H"], "title": "b"},
            ],
        },
        "duplicate_recipe",
    ),
    ("unknown field", {**WATER, "cheat": True}, "invalid_input"),
    ("bad assignment", {**WATER, "assignment": "lottery"}, "invalid_input"),
    ("not an object", ["O", "H"], "invalid_input"),
    (
        "title too long",
        {**WATER, "recipes": [{"items": ["O"], "title": "t" * 81}]},
        "invalid_input",
    ),
]


@pytest.mark.parametrize(("name", "body", "code"), CASES, ids=[c[0] for c in CASES])
def test_invalid_games_are_422(client: TestClient, name: str, body: Any, code: str) -> None:
    world = water_game(client)
    r = _put(client, world, body)
    assert r.status_code == 422, (name, r.text)
    assert r.json()["error"]["code"] == code
    # Nothing changed.
    got = client.get(f"/api/v1/offers/{world['offer_id']}/game", headers=auth(world["owner"]))
    assert [a["key"] for a in got.json()["attributes"]] == ["O", "H", "C"]


def test_the_limits_themselves_are_fine(client: TestClient) -> None:
    world = water_game(client)
    keys = [f"A{i}" for i in range(20)]
    recipes = [{"items": [keys[i % 20]] * (1 + i // 20) + [keys[(i + 1) % 20]] * 7,
                "title": "t" * 80, "description": "d" * 500, "reward": "r" * 200}
               for i in range(50)]  # fmt: skip
    body = {"attributes": [{"key": k, "label": "L" * 40} for k in keys], "recipes": recipes}
    r = _put(client, world, body)
    assert r.status_code == 200, r.text
    assert len(r.json()["recipes"]) == 50


def test_hostile_player_and_join_input(client: TestClient) -> None:
    world = water_game(client, assignment="choose")
    oid, owner = world["offer_id"], world["owner"]
    base = f"/api/v1/offers/{oid}/game"
    for body in ({"attribute": "O" * 100}, {"attribute": None}, {"attribute": "O", "x": 1},
                 {"attribute": "\x00"}, [1, 2], {"attribute": 7}):  # fmt: skip
        r = client.put(f"{base}/players/alice", json=body, headers=auth(owner))
        assert r.status_code == 422, (body, r.text)
        r = client.post(f"{base}/join", json=body, headers=auth(owner))
        assert r.status_code == 422, (body, r.text)
    r = client.put(f"{base}/players/{'x' * 65}", json={"attribute": "O"}, headers=auth(owner))
    assert r.status_code == 422
    r = client.put(f"{base}/players/%00", json={"attribute": "O"}, headers=auth(owner))
    assert r.status_code in (404, 422)
    r = client.get(f"{base}/players?cursor=garbage", headers=auth(owner))
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_cursor"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(noise=JSON, where=st.sampled_from(["attributes", "recipes", "assignment", "hints", "x"]))
def test_fuzzed_games_never_500(client: TestClient, noise: Any, where: str) -> None:
    world = _world(client)
    body = copy.deepcopy(WATER)
    body[where] = noise
    r = _put(client, world, body)
    assert r.status_code in (200, 409, 422), r.text


_WORLDS: dict[int, dict[str, Any]] = {}


def _world(client: TestClient) -> dict[str, Any]:
    # One merchant per test (the fixture), reused by every example.
    key = id(client)
    if key not in _WORLDS:
        _WORLDS.clear()
        _WORLDS[key] = water_game(client)
    return _WORLDS[key]

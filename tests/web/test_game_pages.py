"""The combining game's pages through their forms: the merchant's editor (parse errors
shown in place, a saved game, players assigned and removed), the player's join form,
and what the offer and code pages show, in English and Chinese."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, register

from relaycode.web.game_form import parse_recipes, read, recipes_text

ATTRS = "O = Oxygen\nH：Hydrogen\n\nC = Carbon"
RECIPES = "O + H + H = Water | H₂O | Free tea\nC，O，O ＝ Carbon dioxide\nH H = Hydrogen gas"


def test_the_form_reads_both_spellings_and_round_trips() -> None:
    parsed = read(ATTRS, RECIPES, "choose", True)
    assert parsed.errors == []
    assert [a["key"] for a in parsed.payload["attributes"]] == ["O", "H", "C"]
    assert parsed.payload["recipes"][1] == {"items": ["C", "O", "O"], "title": "Carbon dioxide"}
    again = read(ATTRS, recipes_text(parsed.payload), "choose", True)
    assert again.payload == parsed.payload
    recipes, errors = parse_recipes("O + H\n= Water\nO = a | b | c | d")
    assert recipes == [] and [e[1][0][1] for e in errors] == ["1", "2", "3"]
    assert read("O = " + "x" * 41, "", "choose", True).errors == [
        ("game.form.bad_attribute", (("line", "1"),))
    ]


def _merchant(pages: Any) -> int:
    shop = pages.shop()
    return shop.offer_id


def test_merchant_edits_the_game_and_players(pages: Any, client: TestClient) -> None:
    offer_id = _merchant(pages)
    admin = client.get(f"/dashboard/offers/{offer_id}")
    assert "data-game-summary" in admin.text and f"/dashboard/offers/{offer_id}/game" in admin.text
    editor = client.get(f"/dashboard/offers/{offer_id}/game")
    assert editor.status_code == 200 and "O + H + H = Water" in editor.text  # a starting point
    base = f"/dashboard/offers/{offer_id}/game"
    bad = pages.post(base, {"attributes": "O = Oxygen", "recipes": "O + X = Rust",
                            "assignment": "choose", "hints": "1"})  # fmt: skip
    assert bad.status_code == 422 and "Recipe line 1 names an element" in bad.text
    assert "O + X = Rust" in bad.text  # what was typed is kept
    broken = pages.post(base, {"attributes": "just words", "recipes": "", "assignment": "x"})
    assert broken.status_code == 422 and "Element line 1" in broken.text
    r = pages.post(base, {"attributes": ATTRS, "recipes": RECIPES, "assignment": "merchant",
                          "hints": "1"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == base + "?saved=1"
    saved = client.get(base + "?saved=1")
    assert "Saved." in saved.text and "C + O + O = Carbon dioxide" in saved.text
    # Players: assign, errors come back in place, remove.
    register(client, "olga")
    r = pages.post(base + "/players", {"username": "olga", "attribute": "O"})
    assert r.status_code == 303
    r = pages.post(base + "/players", {"username": "ghost", "attribute": "O"})
    assert r.headers["location"].endswith("?player_error=user_not_found#players-h")
    listed = client.get(base)
    assert 'data-player="olga"' in listed.text
    assert (
        "There is no user with that name." in client.get(base + "?player_error=user_not_found").text
    )
    r = pages.post(base + "/players", {"username": "olga", "intent": "remove"})
    assert r.status_code == 303
    assert 'data-player="olga"' not in client.get(base).text
    # Turned off again (nobody has shared).
    r = pages.post(base, {"intent": "delete"})
    assert r.status_code == 303
    assert "Make it a combining game" in client.get(f"/dashboard/offers/{offer_id}").text


def test_player_joins_on_the_offer_page(pages: Any, client: TestClient) -> None:
    offer_id = _merchant(pages)
    base = f"/dashboard/offers/{offer_id}/game"
    r = pages.post(base, {"attributes": ATTRS, "recipes": RECIPES, "assignment": "choose",
                          "hints": "1"})  # fmt: skip
    assert r.status_code == 303
    # A signed-out reader sees the recipes and a way to sign in.
    anon = TestClient(client.app)
    page = anon.get(f"/offers/{offer_id}")
    assert "data-game" in page.text and "Sign in to play" in page.text
    assert "Hydrogen gas" in page.text
    zh = anon.get(f"/offers/{offer_id}?lang=zh-CN")
    assert "合成游戏" in zh.text and "登录后参与游戏" in zh.text
    # The merchant (signed in) picks an element through the form and comes back.
    page = client.get(f"/offers/{offer_id}")
    assert 'name="attribute" value="H"' in page.text
    r = pages.post(
        f"/offers/{offer_id}/game/join", {"attribute": "Q", "next": f"/offers/{offer_id}"}
    )
    assert r.headers["location"] == f"/offers/{offer_id}?game_error=unknown_attribute#game-h"
    assert "This game has no such element." in client.get(r.headers["location"]).text
    r = pages.post(f"/offers/{offer_id}/game/join",
                   {"attribute": "H", "next": "//evil.example/"})  # fmt: skip
    assert r.headers["location"] == f"/offers/{offer_id}#game-h"  # never off-site
    page = client.get(f"/offers/{offer_id}")
    assert 'data-my-attribute="H"' in page.text and "Change my element" in page.text


def test_code_page_shows_composition_and_result(pages: Any, client: TestClient) -> None:
    shop = pages.shop()
    base = f"/dashboard/offers/{shop.offer_id}/game"
    pages.post(base, {"attributes": ATTRS, "recipes": RECIPES, "assignment": "round_robin",
                      "hints": "1"})  # fmt: skip
    code = shop.code_text
    for name in ("olga", "hugo", "hana"):  # round robin: O, H, C — then set by staff
        token = register(client, name)
        client.post(f"/api/v1/offers/{shop.offer_id}/game/join", headers=auth(token))
        code = client.post("/api/v1/shares", json={"code": code}, headers=auth(token)).json()[
            "code"
        ]
    page = client.get("/C/" + code.rsplit("/", 1)[-1])
    assert 'data-attribute="C"' in page.text and 'data-attribute="O"' in page.text
    assert "data-game-result" not in page.text and "data-game-dead-end" in page.text

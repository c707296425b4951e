"""The combining game's multiset arithmetic: order never matters, a match is exact."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from relaycode.games import rules
from relaycode.games.present import game_doc

KEYS = ["O", "H", "C", "N", "Na"]
items = st.lists(st.sampled_from(KEYS), min_size=0, max_size=12)
recipe_items = st.lists(st.sampled_from(KEYS), min_size=1, max_size=10)


def _recipes(lists: list[list[str]]) -> list[rules.Recipe]:
    seen, out = set(), []
    for i, xs in enumerate(lists):  # distinct multisets, as the service demands
        key = frozenset(Counter(xs).items())
        if key not in seen:
            seen.add(key)
            out.append(rules.Recipe(tuple(xs), f"r{i}"))
    return out


@given(chain=items, data=st.data())
def test_order_of_items_never_matters(chain: list[str], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(chain))
    assert rules.composition(chain) == rules.composition(shuffled)
    recipes = _recipes(data.draw(st.lists(recipe_items, max_size=8)))
    a, b = rules.composition(chain), rules.composition(shuffled)
    assert rules.match(recipes, a) == rules.match(recipes, b)
    assert rules.reachable(recipes, a) == rules.reachable(recipes, b)
    game = {"attributes": [{"key": k, "label": k} for k in KEYS],
            "recipes": [{"items": list(r.items), "title": r.title} for r in recipes]}  # fmt: skip
    assert game_doc(game, chain) == game_doc(game, shuffled)


@given(recipe=recipe_items, data=st.data())
def test_a_recipe_matches_any_order_of_its_items_and_nothing_else(
    recipe: list[str], data: st.DataObject
) -> None:
    r = rules.Recipe(tuple(recipe), "x")
    assert rules.match([r], rules.composition(data.draw(st.permutations(recipe)))) == r
    other = data.draw(items)
    matched = rules.match([r], rules.composition(other)) is not None
    assert matched == (sorted(other) == sorted(recipe))


@given(have=items, recipe=recipe_items)
def test_reachable_is_a_proper_sub_multiset_and_missing_completes_it(
    have: list[str], recipe: list[str]
) -> None:
    r = rules.Recipe(tuple(recipe), "x")
    c = rules.composition(have)
    ahead = rules.reachable([r], c)
    needs = Counter(recipe)
    proper = all(c[k] <= needs[k] for k in c) and c != needs
    assert bool(ahead) == proper
    if ahead:
        assert c + ahead[0].missing == needs
        assert sum(ahead[0].missing.values()) >= 1


def test_zero_counts_are_absent_and_the_order_is_the_games() -> None:
    assert rules.same({"O": 1, "H": 0}, {"O": 1})
    assert not rules.same({"O": 1}, {"O": 2})
    assert rules.ordered(Counter({"H": 2, "O": 1, "X": 1}), ["O", "H"]) == {"O": 1, "H": 2, "X": 1}


def test_nearest_recipes_come_first() -> None:
    recipes = [rules.Recipe(("C", "O", "O"), "co2"), rules.Recipe(("O", "H", "H"), "water"),
               rules.Recipe(("O", "H"), "oh")]  # fmt: skip
    ahead = rules.reachable(recipes, rules.composition(["O"]))
    assert [a.recipe.title for a in ahead] == ["oh", "co2", "water"]
    assert rules.match(recipes, rules.composition(["H", "O", "H"])) == recipes[1]
    assert rules.match(recipes, rules.composition(["H", "O", "H", "H"])) is None
    assert rules.reachable(recipes, rules.composition(["H", "O", "H", "H"])) == []

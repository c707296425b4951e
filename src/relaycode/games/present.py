"""The ``game`` part of a scan answer, built as a plain dict in ``ScanGameOut``'s field
order (the scan path serialises dicts once, codes/answers.py), from the stored game and
the attributes the code's chain of sharers added."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from relaycode.games import rules

Doc = dict[str, Any]
MAX_NEXT = 10  # reachable recipes shown at most (the nearest)


def recipes_of(game: Mapping[str, Any]) -> list[rules.Recipe]:
    return [
        rules.Recipe(
            items=tuple(str(i) for i in r.get("items", ())),
            title=str(r.get("title", "")),
            description=str(r.get("description", "")),
            reward=str(r.get("reward", "")),
        )
        for r in game.get("recipes", ())
    ]


def keys_of(game: Mapping[str, Any]) -> list[str]:
    return [str(a["key"]) for a in game.get("attributes", ())]


def game_doc(game: Mapping[str, Any] | None, attributes: Iterable[str]) -> Doc | None:
    """``ScanGameOut``'s fields; None when the offer has no game."""
    if not game:
        return None
    keys = keys_of(game)
    recipes = recipes_of(game)
    have = rules.composition(attributes)
    found = rules.match(recipes, have)
    hints = bool(game.get("hints", True))
    result = None
    if found is not None:
        result = {
            "title": found.title,
            "description": found.description,
            "reward": found.reward,
            "items": rules.ordered(found.needs, keys),
        }
    ahead = rules.reachable(recipes, have)[:MAX_NEXT] if hints else []
    return {
        "composition": rules.ordered(have, keys),
        "result": result,
        "next": [
            {
                "title": r.recipe.title,
                "items": rules.ordered(r.recipe.needs, keys),
                "missing": rules.ordered(r.missing, keys),
            }
            for r in ahead
        ],
        "hints": hints,
        "attributes": [
            {"key": str(a["key"]), "label": str(a["label"])} for a in game.get("attributes", ())
        ],
    }

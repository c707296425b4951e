"""The combining game's editor form: two text areas, one attribute or recipe a line.

    O = Oxygen                      O + H + H = Water | H₂O, what we drink | Free tea
    H = Hydrogen                    C + O + O = Carbon dioxide

An attribute line is ``KEY = label`` (``:`` works too); a recipe line is its items joined
by ``+`` (or commas, spaces), ``=``, the result's title, then optionally ``| description``
and ``| reward``. Full-width ＝ ＋ ： ｜ ， (Chinese input methods) are read as the same.
Parsing is pure; the game's own rules (games.service.validate) run after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from relaycode.games.schemas import MAX_ATTRIBUTES, MAX_RECIPES, GameIn

# Generous for 20 and 50 full lines, and still a bound on what a form may send.
ATTRIBUTES_MAX_CHARS = 4_000
RECIPES_MAX_CHARS = 40_000
_WIDE = str.maketrans({"＝": "=", "＋": "+", "：": ":", "｜": "|", "，": ",", "、": ","})
_ITEM_SPLIT = re.compile(r"[+,\s]+")

# An error message key, or a key with its values (macros.html error_text).
Message = str | tuple[str, tuple[tuple[str, str], ...]]


@dataclass
class Parsed:
    payload: dict[str, Any] = field(default_factory=dict)
    errors: list[Message] = field(default_factory=list)


def _line_error(key: str, n: int) -> Message:
    return (key, (("line", str(n)),))


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    for n, raw in enumerate(text.translate(_WIDE).splitlines(), start=1):
        line = raw.strip()
        if line:
            out.append((n, line))
    return out


def parse_attributes(text: str) -> tuple[list[dict[str, str]], list[Message]]:
    attributes: list[dict[str, str]] = []
    errors: list[Message] = []
    for n, line in _lines(text):
        m = re.match(r"^([^=:]+)[=:](.*)$", line)
        if m is None or not m.group(1).strip() or not m.group(2).strip():
            errors.append(_line_error("game.form.bad_attribute_line", n))
            continue
        attributes.append({"key": m.group(1).strip(), "label": m.group(2).strip()})
    return attributes, errors


def parse_recipes(text: str) -> tuple[list[dict[str, Any]], list[Message]]:
    recipes: list[dict[str, Any]] = []
    errors: list[Message] = []
    for n, line in _lines(text):
        left, eq, right = line.partition("=")
        items = [i for i in _ITEM_SPLIT.split(left.strip()) if i]
        parts = [p.strip() for p in right.split("|")]
        if not eq or not items or not parts[0] or len(parts) > 3:
            errors.append(_line_error("game.form.bad_recipe_line", n))
            continue
        recipe: dict[str, Any] = {"items": items, "title": parts[0]}
        if len(parts) > 1:
            recipe["description"] = parts[1]
        if len(parts) > 2:
            recipe["reward"] = parts[2]
        recipes.append(recipe)
    return recipes, errors


def _problem(loc: tuple[Any, ...]) -> Message:
    """A schema problem as a message naming the line it is on."""
    if len(loc) >= 2 and loc[0] in ("attributes", "recipes") and isinstance(loc[1], int):
        what = "attribute" if loc[0] == "attributes" else "recipe"
        return _line_error(f"game.form.bad_{what}", loc[1] + 1)
    if loc and loc[0] == "attributes":
        return ("game.form.attributes_count", (("max", str(MAX_ATTRIBUTES)),))
    if loc and loc[0] == "recipes":
        return ("game.form.recipes_count", (("max", str(MAX_RECIPES)),))
    return "game.form.invalid"


def read(attributes_text: str, recipes_text: str, assignment: str, hints: bool) -> Parsed:
    """The form's fields as a ``GameIn`` payload, or the messages saying what is wrong.
    (Line numbers in schema messages count the non-blank lines.)"""
    parsed = Parsed()
    if len(attributes_text) > ATTRIBUTES_MAX_CHARS or len(recipes_text) > RECIPES_MAX_CHARS:
        parsed.errors.append("game.form.too_long")
        return parsed
    attributes, errors = parse_attributes(attributes_text)
    recipes, more = parse_recipes(recipes_text)
    parsed.errors = errors + more
    parsed.payload = {
        "attributes": attributes,
        "recipes": recipes,
        "assignment": assignment,
        "hints": hints,
    }
    if parsed.errors:
        return parsed
    try:
        GameIn.model_validate(parsed.payload)
    except ValidationError as exc:
        seen: list[Message] = []
        for e in exc.errors(include_url=False):
            msg = _problem(tuple(e.get("loc", ())))
            if msg not in seen:
                seen.append(msg)
        parsed.errors = seen[:10]
    return parsed


def attributes_text(game: dict[str, Any] | None) -> str:
    if not game:
        return ""
    return "\n".join(f"{a['key']} = {a['label']}" for a in game.get("attributes", ()))


def recipes_text(game: dict[str, Any] | None) -> str:
    if not game:
        return ""
    lines = []
    for r in game.get("recipes", ()):
        line = f"{' + '.join(r['items'])} = {r['title']}"
        extra = [r.get("description", ""), r.get("reward", "")]
        if extra[1]:
            line += f" | {extra[0]} | {extra[1]}"
        elif extra[0]:
            line += f" | {extra[0]}"
        lines.append(line)
    return "\n".join(lines)

"""Shapes of the combining game: the merchant's definition, players, the scan's view."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from relaycode.safetext import Line, Text

MAX_ATTRIBUTES = 20
MAX_RECIPES = 50
MAX_ITEMS = 10  # per recipe
LABEL_MAX = 40
# A short symbol, like a chemical element's: "O", "H", "Na", "fire_2".
KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,15}$"
AttributeKey = Annotated[str, Field(pattern=KEY_PATTERN, description="A short symbol: O, H, Na")]
# merchant: staff assign every player; choose: a player picks when joining (staff may
# still assign); round_robin: the next attribute in the game's order, given on joining
# or on the first share.
Assignment = Literal["merchant", "choose", "round_robin"]


class AttributeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: AttributeKey
    label: Line = Field(min_length=1, max_length=LABEL_MAX, description="Shown to players")


class RecipeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[AttributeKey] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description="A multiset: ['O', 'H', 'H'] is oxygen and two hydrogens, in any order",
    )
    title: Line = Field(min_length=1, max_length=80, description="What the code now stands for")
    description: Text = Field(default="", max_length=500)
    reward: Line = Field(default="", max_length=200, description="What the holder gets, if any")


class GameIn(BaseModel):
    """A combining game: at most 20 attributes and 50 recipes of at most 10 items each."""

    model_config = ConfigDict(extra="forbid")

    attributes: list[AttributeIn] = Field(min_length=1, max_length=MAX_ATTRIBUTES)
    recipes: list[RecipeIn] = Field(default_factory=list, max_length=MAX_RECIPES)
    assignment: Assignment = "choose"
    hints: bool = Field(default=True, description="Scanners see the recipes still reachable")


class AttributeCount(BaseModel):
    key: str
    label: str
    players: int


class GameOut(BaseModel):
    offer_id: int
    kind: str
    attributes: list[AttributeIn]
    recipes: list[RecipeIn]
    assignment: Assignment
    hints: bool
    players: list[AttributeCount] = Field(description="How many players hold each attribute")
    version: int = Field(description="The offer's version (If-Match)")


class PlayerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attribute: AttributeKey


class JoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attribute: AttributeKey | None = Field(
        default=None, description="Your pick (assignment 'choose'); leave out for round_robin"
    )


class PlayerOut(BaseModel):
    offer_id: int
    username: str | None
    attribute: str
    label: str
    assigned_by: str
    locked: bool = Field(description="The player has shared already: the attribute is fixed")


class AttributeOut(BaseModel):
    key: str
    label: str


class GameResultOut(BaseModel):
    title: str
    description: str
    reward: str
    items: dict[str, int]


class GameNextOut(BaseModel):
    title: str
    items: dict[str, int]
    missing: dict[str, int] = Field(description="What sharing on must still add")


class ScanGameOut(BaseModel):
    """A combining game's code, as a scanner sees it."""

    composition: dict[str, int] = Field(description="Attribute → how many, e.g. {O: 1, H: 2}")
    result: GameResultOut | None = Field(description="The recipe matched exactly, if any")
    next: list[GameNextOut] = Field(description="Recipes still reachable (empty if no hints)")
    hints: bool
    attributes: list[AttributeOut]

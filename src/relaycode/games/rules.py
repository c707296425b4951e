"""The combining game's arithmetic, pure: compositions are multisets of attribute keys.

A code's composition is the multiset of the attributes its chain of sharers added (one
per share, in any order). A recipe **matches** when its items equal the composition as
multisets — the same attributes, each as many times, order never mattering. A recipe is
**reachable** when the composition is a proper sub-multiset of it: sharing on can still
make it, and ``missing`` says what it still needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Composition = Counter[str]


@dataclass(frozen=True)
class Recipe:
    items: tuple[str, ...]
    title: str
    description: str = ""
    reward: str = ""

    @property
    def needs(self) -> Composition:
        return Counter(self.items)


@dataclass(frozen=True)
class Reachable:
    recipe: Recipe
    missing: Composition  # what sharing must still add, never empty


def composition(attributes: Iterable[str]) -> Composition:
    """The multiset of ``attributes`` (a chain's, root first or in any order)."""
    return Counter(attributes)


def same(a: Mapping[str, int], b: Mapping[str, int]) -> bool:
    """Multiset equality; a key counted zero times is as good as absent."""
    keys = set(a) | set(b)
    return all(a.get(k, 0) == b.get(k, 0) for k in keys)


def contains(big: Mapping[str, int], small: Mapping[str, int]) -> bool:
    """``small`` ⊆ ``big`` as multisets."""
    return all(big.get(k, 0) >= n for k, n in small.items())


def minus(big: Mapping[str, int], small: Mapping[str, int]) -> Composition:
    """``big`` − ``small`` (what remains, no negative counts)."""
    return Counter({k: n - small.get(k, 0) for k, n in big.items() if n > small.get(k, 0)})


def match(recipes: Sequence[Recipe], have: Mapping[str, int]) -> Recipe | None:
    """The recipe whose items are exactly ``have`` (recipes are distinct as multisets,
    so there is at most one; the first wins should a caller pass duplicates)."""
    for recipe in recipes:
        if same(recipe.needs, have):
            return recipe
    return None


def reachable(recipes: Sequence[Recipe], have: Mapping[str, int]) -> list[Reachable]:
    """Recipes still ahead of ``have``: nearest first (fewest items missing), then in
    the merchant's order."""
    ahead = []
    for index, recipe in enumerate(recipes):
        needs = recipe.needs
        if contains(needs, have) and not same(needs, have):
            missing = minus(needs, have)
            ahead.append((sum(missing.values()), index, Reachable(recipe, missing)))
    ahead.sort(key=lambda t: (t[0], t[1]))
    return [r for _n, _i, r in ahead]


def ordered(counts: Mapping[str, int], keys: Sequence[str]) -> dict[str, int]:
    """``counts`` as a plain dict in the game's attribute order (unknown keys last,
    sorted), zero counts left out: how the API shows a composition."""
    known = [k for k in keys if counts.get(k, 0) > 0]
    extra = sorted(k for k, n in counts.items() if n > 0 and k not in keys)
    return {k: int(counts[k]) for k in (*known, *extra)}

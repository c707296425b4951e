"""The combining game's rules (CN102821157A [0187]–[0190]); services flush, never commit.

An offer of kind "combine" carries a game: attributes (O, H, C …) and recipes (a
multiset of attributes → a result). Every player holds one attribute per game. Each
share a player makes of the offer adds their attribute to the composition its code
stands for; the composition of a code is the multiset of the attributes of the sharers
along its chain (``repository.CHAIN``), so it needs no storing and any number of
generations works.

**A player's attribute is fixed once they have shared.** Until then staff may reassign
it (and, when the game lets players choose, the player may change their pick); after,
the codes they made stand on it, so a change is refused (``attribute_locked``) and no
code's composition ever changes under its holders. For the same reason an attribute
that players hold cannot be removed from the game (``attribute_in_use``).

Every rule that reads and then writes locks the offer's row first (share() does too),
so joining, assigning and sharing for one game queue behind each other.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import Conflict, Forbidden, InvalidInput, NotFound
from relaycode.games import repository as repo
from relaycode.games.schemas import GameIn
from relaycode.identity import repository as id_repo
from relaycode.models import GamePlayer, Offer, User


class NoAttribute(Conflict):
    code = "no_attribute"


def game_of(offer: Offer) -> dict[str, Any] | None:
    """The offer's game, if it is a combining game."""
    return offer.game if offer.kind == "combine" and offer.game else None


def keys(game: dict[str, Any]) -> list[str]:
    return [str(a["key"]) for a in game.get("attributes", ())]


def label(game: dict[str, Any], key: str) -> str:
    for a in game.get("attributes", ()):
        if a["key"] == key:
            return str(a["label"])
    return key


def validate(data: GameIn) -> dict[str, Any]:
    """The checks a schema cannot make, then the game as stored: attribute keys unique
    (also ignoring case: "h" beside "H" would only confuse), every recipe item a key of
    the game (``unknown_attribute``), no two recipes the same multiset
    (``duplicate_recipe``)."""
    seen: dict[str, str] = {}
    for a in data.attributes:
        folded = a.key.casefold()
        if folded in seen:
            raise InvalidInput(
                "two attributes have the same key",
                code="duplicate_attribute",
                details={"key": a.key},
            )
        seen[folded] = a.key
    known = {a.key for a in data.attributes}
    multisets: dict[frozenset[tuple[str, int]], int] = {}
    for index, recipe in enumerate(data.recipes):
        unknown = sorted(set(recipe.items) - known)
        if unknown:
            raise InvalidInput(
                "a recipe names an attribute the game does not have",
                code="unknown_attribute",
                details={"recipe": index, "attributes": unknown},
            )
        key = frozenset(Counter(recipe.items).items())
        if key in multisets:
            raise InvalidInput(
                "two recipes need the same attributes",
                code="duplicate_recipe",
                details={"recipes": [multisets[key], index]},
            )
        multisets[key] = index
    return data.model_dump(mode="json")


def _lock(db: Session, offer: Offer) -> Offer:
    locked = get_for_update(db, Offer, offer.id)
    if locked is None:
        raise NotFound("no such offer", code="offer_not_found")
    return locked


def _locked_game(db: Session, offer: Offer) -> tuple[Offer, dict[str, Any]]:
    locked = _lock(db, offer)
    game = game_of(locked)
    if game is None:
        raise Conflict("this offer is not a combining game", code="not_a_game")
    return locked, game


def set_game(
    db: Session, offer: Offer, data: GameIn, *, expected_version: int | None = None
) -> Offer:
    """Make the offer a combining game with this definition, or replace its game."""
    stored = validate(data)
    locked = _lock(db, offer)
    if expected_version is not None and expected_version != locked.version:
        raise Conflict("the offer changed since you loaded it", code="version_conflict")
    if locked.status == "archived":
        raise Conflict("archived offers cannot be edited", code="offer_archived")
    removed = sorted(set(repo.counts(db, locked.id)) - {a.key for a in data.attributes})
    if removed:
        raise Conflict(
            "players hold an attribute this game would no longer have",
            code="attribute_in_use",
            details={"attributes": removed},
        )
    locked.kind = "combine"
    locked.game = stored
    locked.version += 1
    locked.updated_at = utcnow()
    db.flush()
    return locked


def clear_game(db: Session, offer: Offer, *, expected_version: int | None = None) -> Offer:
    """Back to a standard offer, while no player has shared it yet (``game_in_play``)."""
    locked = _lock(db, offer)
    if expected_version is not None and expected_version != locked.version:
        raise Conflict("the offer changed since you loaded it", code="version_conflict")
    if locked.kind != "combine":
        return locked
    if repo.any_player_shared(db, locked.id):
        raise Conflict("players have shared this game already", code="game_in_play")
    db.execute(delete(GamePlayer).where(GamePlayer.offer_id == locked.id))
    locked.kind = "standard"
    locked.game = None
    locked.version += 1
    locked.updated_at = utcnow()
    db.flush()
    return locked


def _check_attribute(game: dict[str, Any], attribute: str) -> None:
    if attribute not in keys(game):
        raise InvalidInput(
            "this game has no such attribute",
            code="unknown_attribute",
            details={"attributes": keys(game)},
        )


def _set(db: Session, offer: Offer, user: User, attribute: str, by: str) -> tuple[GamePlayer, bool]:
    """Give ``user`` ``attribute`` (offer locked by the caller); (row, changed)."""
    now = utcnow()
    existing = repo.player(db, offer.id, user.id)
    if existing is None:
        row = GamePlayer(offer_id=offer.id, user_id=user.id, attribute=attribute,
                         assigned_by=by, created_at=now, updated_at=now)  # fmt: skip
        db.add(row)
        db.flush()
        return row, True
    if existing.attribute == attribute:
        return existing, False
    if repo.has_shared(db, offer.id, user.id):
        raise Conflict(
            "this player has shared already; their attribute is fixed",
            code="attribute_locked",
            details={"attribute": existing.attribute},
        )
    existing.attribute = attribute
    existing.assigned_by = by
    existing.updated_at = now
    db.flush()
    return existing, True


def assign(db: Session, offer: Offer, username: str, attribute: str) -> GamePlayer:
    """Staff give a player their attribute (any assignment mode)."""
    locked, game = _locked_game(db, offer)
    _check_attribute(game, attribute)
    user = id_repo.user_by_username(db, username)
    if user is None:
        raise NotFound("no such user", code="user_not_found")
    row, _changed = _set(db, locked, user, attribute, "merchant")
    return row


def remove(db: Session, offer: Offer, username: str) -> None:
    """Staff take a player out of the game, while they have not shared it."""
    locked, _game = _locked_game(db, offer)
    user = id_repo.user_by_username(db, username)
    row = repo.player(db, locked.id, user.id) if user is not None else None
    if user is None or row is None:
        raise NotFound("this user does not play this game", code="player_not_found")
    if repo.has_shared(db, locked.id, user.id):
        raise Conflict("this player has shared already", code="attribute_locked")
    db.delete(row)
    db.flush()


def _fewest(db: Session, offer: Offer, game: dict[str, Any]) -> str:
    """Round robin: the attribute fewest players hold, ties in the game's order — with
    the offer locked, n joiners spread over k attributes as evenly as can be."""
    held = repo.counts(db, offer.id)
    order = keys(game)
    return min(order, key=lambda k: (held.get(k, 0), order.index(k)))


def join(db: Session, offer: Offer, user: User, attribute: str | None) -> tuple[GamePlayer, bool]:
    """A player joins (or changes their pick): by choice when the game lets players
    choose, the next attribute in round robin; never when staff assign
    (``not_yours_to_pick``). Joining again with the same pick changes nothing."""
    locked, game = _locked_game(db, offer)
    mode = game.get("assignment", "choose")
    existing = repo.player(db, locked.id, user.id)
    if mode == "round_robin":
        if attribute is not None and (existing is None or existing.attribute != attribute):
            raise Forbidden("this game deals attributes in turn", code="not_yours_to_pick")
        if existing is not None:
            return existing, False
        return _set(db, locked, user, _fewest(db, locked, game), "round_robin")
    if mode != "choose":
        if existing is not None and attribute in (None, existing.attribute):
            return existing, False
        raise Forbidden("the merchant assigns attributes in this game", code="not_yours_to_pick")
    if attribute is None:
        if existing is not None:
            return existing, False
        raise InvalidInput("pick an attribute", code="attribute_required",
                           details={"attributes": keys(game)})  # fmt: skip
    _check_attribute(game, attribute)
    if (
        existing is not None
        and existing.assigned_by == "merchant"
        and existing.attribute != attribute
    ):
        raise Forbidden("the merchant gave you your attribute", code="not_yours_to_pick")
    return _set(db, locked, user, attribute, "player")


def before_share(db: Session, offer: Offer, sharer: User) -> None:
    """Called by referrals.service.share with the offer's row locked, before a new share
    of a combining game is made: a sharer with no attribute gets the next one in round
    robin, and is otherwise refused (``no_attribute``, 409): their share would add
    nothing, and the code would stand for less than its sharer meant."""
    game = game_of(offer)
    if game is None or repo.player(db, offer.id, sharer.id) is not None:
        return
    if game.get("assignment") == "round_robin":
        _set(db, offer, sharer, _fewest(db, offer, game), "round_robin")
        return
    raise NoAttribute(
        "join the game first: sharing adds your attribute, and you have none",
        details={
            "offer_id": offer.id,
            "assignment": game.get("assignment", "choose"),
            "attributes": keys(game),
        },
    )

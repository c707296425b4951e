"""HTTP for the combining game: the merchant's definition and players, players joining.

The scan answer's ``game`` part (composition, result, what is still reachable) comes with
``POST /api/v1/scan`` itself (codes/answers.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Response, status
from sqlalchemy.orm import Session

from relaycode.catalog.service import get_offer
from relaycode.deps import DbDep, ReadDbDep
from relaycode.errors import NotFound
from relaycode.games import repository as repo
from relaycode.games import service
from relaycode.games.schemas import (
    AttributeCount,
    AttributeIn,
    GameIn,
    GameOut,
    JoinIn,
    PlayerIn,
    PlayerOut,
    RecipeIn,
)
from relaycode.identity.auth import UserDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.merchants.deps import OfferAccess, offer_access
from relaycode.merchants.service import EDITORS, READERS
from relaycode.models import GamePlayer, Offer, User

router = APIRouter(tags=["games"])

GameEditor = Annotated[OfferAccess, Depends(offer_access(EDITORS, "offers:write"))]
GameReader = Annotated[OfferAccess, Depends(offer_access(READERS, "offers:read", readonly=True))]
IfMatch = Annotated[int | None, Header()]
Username = Annotated[str, Path(min_length=1, max_length=64)]


def game_out(db: Session, offer: Offer) -> GameOut:
    game = service.game_of(offer)
    if game is None:
        raise NotFound("this offer is not a combining game", code="not_a_game")
    held = repo.counts(db, offer.id)
    attributes = [AttributeIn.model_validate(a) for a in game["attributes"]]
    return GameOut(
        offer_id=offer.id,
        kind=offer.kind,
        attributes=attributes,
        recipes=[RecipeIn.model_validate(r) for r in game.get("recipes", ())],
        assignment=game.get("assignment", "choose"),
        hints=bool(game.get("hints", True)),
        players=[
            AttributeCount(key=a.key, label=a.label, players=held.get(a.key, 0)) for a in attributes
        ],
        version=offer.version,
    )


def player_out(offer: Offer, row: GamePlayer, user: User, locked: bool) -> PlayerOut:
    game = service.game_of(offer) or {}
    return PlayerOut(
        offer_id=offer.id,
        username=user.username,
        attribute=row.attribute,
        label=service.label(game, row.attribute),
        assigned_by=row.assigned_by,
        locked=locked,
    )


@router.get("/offers/{offer_id}/game")
def get_game(access: GameReader, db: ReadDbDep) -> GameOut:
    """The offer's combining game: attributes, recipes, how attributes are given, and
    how many players hold each. A standard offer: ``not_a_game`` (404)."""
    return game_out(db, access.offer)


@router.put("/offers/{offer_id}/game")
def put_game(data: GameIn, access: GameEditor, db: DbDep, if_match: IfMatch = None) -> GameOut:
    """Make the offer a combining game (kind ``combine``) or replace its game: up to 20
    attributes (key ≤ 16 characters, label ≤ 40) and 50 recipes of 1–10 items each.

    Refusals (422): ``unknown_attribute`` (a recipe names a key the game lacks),
    ``duplicate_attribute``, ``duplicate_recipe``, ``invalid_input``; (409)
    ``attribute_in_use`` (players hold an attribute left out), ``offer_archived``,
    ``version_conflict`` (``If-Match`` names another version)."""
    offer = service.set_game(db, access.offer, data, expected_version=if_match)
    return game_out(db, offer)


@router.delete("/offers/{offer_id}/game", status_code=status.HTTP_204_NO_CONTENT)
def delete_game(access: GameEditor, db: DbDep, if_match: IfMatch = None) -> None:
    """Make the offer a standard one again, its players dropped; refused once a player
    has shared it (``game_in_play``, 409)."""
    service.clear_game(db, access.offer, expected_version=if_match)


@router.get("/offers/{offer_id}/game/players")
def list_players(
    access: GameReader,
    db: ReadDbDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[PlayerOut]:
    """The game's players in the order they joined, with their attribute and whether it
    is fixed (they have shared)."""
    offer = access.offer
    if service.game_of(offer) is None:
        raise NotFound("this offer is not a combining game", code="not_a_game")
    page = repo.players_page(db, offer.id, cursor=cursor, limit=limit)
    shared = repo.sharers_among(db, offer.id, (u.id for _p, u in page.items))
    items = [player_out(offer, p, u, u.id in shared) for p, u in page.items]
    return ListOut(items=items, next_cursor=page.next_cursor)


@router.put("/offers/{offer_id}/game/players/{username}")
def put_player(username: Username, data: PlayerIn, access: GameEditor, db: DbDep) -> PlayerOut:
    """Give a user their attribute in this game (whatever its assignment mode).

    Refusals: ``not_a_game`` (409), ``unknown_attribute`` (422), ``user_not_found``
    (404), ``attribute_locked`` (409: they have shared with another attribute)."""
    row = service.assign(db, access.offer, username, data.attribute)
    user = db.get(User, row.user_id)
    assert user is not None
    offer = db.get(Offer, row.offer_id)
    assert offer is not None
    return player_out(offer, row, user, repo.has_shared(db, offer.id, user.id))


@router.delete("/offers/{offer_id}/game/players/{username}", status_code=204)
def delete_player(username: Username, access: GameEditor, db: DbDep) -> None:
    """Take a player out of the game; refused once they have shared (``attribute_locked``)."""
    service.remove(db, access.offer, username)


@router.post("/offers/{offer_id}/game/join", status_code=status.HTTP_201_CREATED)
def join_game(
    offer_id: int, user: UserDep, db: DbDep, response: Response, data: JoinIn | None = None
) -> PlayerOut:
    """Play this game: pick your attribute (``{"attribute": "H"}``) when the game lets
    players choose, or get the next one in turn (round robin, no body). 201 when you
    joined or changed your pick, 200 when nothing changed.

    Refusals: ``not_a_game`` (409), ``not_yours_to_pick`` (403: staff assign, or the
    game deals in turn), ``attribute_required``, ``unknown_attribute`` (422),
    ``attribute_locked`` (409: you have shared already)."""
    offer = get_offer(db, offer_id)
    row, changed = service.join(db, offer, user, data.attribute if data else None)
    if not changed:
        response.status_code = status.HTTP_200_OK
    locked = db.get(Offer, offer.id)
    assert locked is not None
    return player_out(locked, row, user, repo.has_shared(db, offer.id, user.id))


@router.get("/offers/{offer_id}/game/me")
def my_attribute(offer_id: int, user: UserDep, db: ReadDbDep) -> PlayerOut:
    """Your attribute in this game; ``not_playing`` (404) if you have none yet."""
    offer = get_offer(db, offer_id)
    row = repo.player(db, offer.id, user.id) if service.game_of(offer) else None
    if row is None:
        raise NotFound("you do not play this game", code="not_playing")
    return player_out(offer, row, user, repo.has_shared(db, offer.id, user.id))

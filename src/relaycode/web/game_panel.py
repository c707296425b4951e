"""The combining game on an offer's page and a code's page: what the code is made of,
what it makes, what it could still make, and the reader's own attribute (or a way to
get one). Built from the scan answer's ``game`` part, so the page and the API agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from sqlalchemy.orm import Session

from relaycode.codes.schemas import ScanOut
from relaycode.games import repository as games_repo
from relaycode.games import service as games
from relaycode.games.present import game_doc
from relaycode.games.schemas import GameResultOut, ScanGameOut
from relaycode.identity.auth import Principal
from relaycode.models import Offer

ERRORS = (
    "not_yours_to_pick",
    "attribute_required",
    "unknown_attribute",
    "attribute_locked",
    "not_a_game",
)


@dataclass(frozen=True)
class Chip:
    key: str
    label: str
    n: int = 1


@dataclass(frozen=True)
class Ahead:
    title: str
    missing: list[Chip]


@dataclass(frozen=True)
class GamePanel:
    composition: list[Chip]
    result: GameResultOut | None
    ahead: list[Ahead]
    hints: bool
    attributes: list[Chip]
    on_code: bool
    assignment: str
    mine: Chip | None  # the reader's attribute
    locked: bool  # the reader has shared: it is fixed
    can_change: bool  # the reader may pick another (they chose it, and have not shared)
    signed_in: bool
    login_url: str
    join_action: str
    back: str  # where the join form comes back to
    error: str | None  # a message key


def back_path(request: Request) -> str:
    """This page, to come back to after joining (a code page without counting a scan)."""
    query = [(k, v) for k, v in request.query_params.multi_items()
             if k not in ("seen", "game_error")]  # fmt: skip
    if request.url.path.upper().startswith("/C/"):
        query.append(("seen", "1"))
    return request.url.path + ("?" + urlencode(query) if query else "")


def panel(
    request: Request, db: Session, offer: Offer, principal: Principal, result: ScanOut | None
) -> GamePanel | None:
    """None for a standard offer."""
    stored = games.game_of(offer)
    if stored is None:
        return None
    game = result.game if result is not None and result.game is not None else None
    if game is None:  # the offer's own page: nothing combined yet
        doc = game_doc(stored, ())
        assert doc is not None
        game = ScanGameOut.model_validate(doc)
    labels = {a.key: a.label for a in game.attributes}

    def chips(counts: dict[str, int]) -> list[Chip]:
        return [Chip(k, labels.get(k, k), n) for k, n in counts.items()]

    user = principal.user
    mine, locked, chosen = None, False, False
    if user is not None:
        row = games_repo.player(db, offer.id, user.id)
        if row is not None:
            mine = Chip(row.attribute, labels.get(row.attribute, row.attribute))
            locked = games_repo.has_shared(db, offer.id, user.id)
            chosen = row.assigned_by == "player"
    back = back_path(request)
    assignment = str(stored.get("assignment", "choose"))
    error = request.query_params.get("game_error")
    return GamePanel(
        composition=chips(game.composition),
        result=game.result,
        ahead=[Ahead(n.title, chips(n.missing)) for n in game.next],
        hints=game.hints,
        attributes=[Chip(a.key, a.label) for a in game.attributes],
        on_code=result is not None and result.code is not None,
        assignment=assignment,
        mine=mine,
        locked=locked,
        can_change=assignment == "choose" and chosen and not locked,
        signed_in=user is not None,
        login_url="/login?next=" + quote(back, safe="/"),
        join_action=f"/offers/{offer.id}/game/join",
        back=back,
        error=error if error in ERRORS else None,
    )


def admin_section(db: Session, offer: Offer) -> dict[str, Any]:
    """The game's summary on the offer's admin page."""
    game = games.game_of(offer)
    if game is None:
        return {"on": False}
    return {
        "on": True,
        "attributes": len(game.get("attributes", ())),
        "recipes": len(game.get("recipes", ())),
        "players": games_repo.player_count(db, offer.id),
        "assignment": game.get("assignment", "choose"),
    }

"""Combining game pages: the merchant's editor (attributes, recipes, players) and the
player's "join" form on the offer and code pages (PRG: every POST answers 303)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.catalog.service import get_offer
from relaycode.deps import DbDep, ReadDbDep
from relaycode.errors import AppError
from relaycode.games import repository as games_repo
from relaycode.games import service as games
from relaycode.games.schemas import GameIn
from relaycode.identity.auth import Principal
from relaycode.merchants.deps import OfferAccess
from relaycode.models import Offer
from relaycode.web import game_form
from relaycode.web.dashboard import OfferEditor, OfferEditorPage
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, safe_next, text

router = APIRouter()
ASSIGNMENTS = ("choose", "round_robin", "merchant")
PLAYERS_SHOWN = 50
_DEFAULT_ATTRIBUTES = "O = Oxygen\nH = Hydrogen"
_DEFAULT_RECIPES = "O + H + H = Water"


def _path(offer: Offer) -> str:
    return f"/dashboard/offers/{offer.id}/game"


def _players(db: Session, offer: Offer) -> list[dict[str, Any]]:
    found = games_repo.players_page(db, offer.id, cursor=None, limit=PLAYERS_SHOWN)
    shared = games_repo.sharers_among(db, offer.id, (u.id for _p, u in found.items))
    game = games.game_of(offer) or {}
    return [
        {
            "username": u.username,
            "attribute": p.attribute,
            "label": games.label(game, p.attribute),
            "assigned_by": p.assigned_by,
            "locked": u.id in shared,
        }
        for p, u in found.items
    ]


def _editor(
    request: Request,
    db: Session,
    access: OfferAccess,
    principal: Principal,
    *,
    values: dict[str, Any] | None = None,
    errors: list[game_form.Message] | None = None,
    status: int = 200,
) -> Response:
    offer = access.offer
    game = games.game_of(offer)
    if values is None:
        values = {
            "attributes": game_form.attributes_text(game) or _DEFAULT_ATTRIBUTES,
            "recipes": game_form.recipes_text(game) or _DEFAULT_RECIPES,
            "assignment": (game or {}).get("assignment", "choose"),
            "hints": bool((game or {}).get("hints", True)),
        }
    context = {
        "user": principal.user,
        "offer": offer,
        "merchant": access.merchant,
        "game": game,
        "values": values,
        "errors": errors or [],
        "assignments": ASSIGNMENTS,
        "players": _players(db, offer) if game else [],
        "counts": games_repo.counts(db, offer.id) if game else {},
        "saved": request.query_params.get("saved"),
        "player_error": request.query_params.get("player_error"),
        "limits": game_form,
    }
    return page(request, "game_form.html", context, status=status)


@router.get("/dashboard/offers/{offer_id}/game")
def game_editor(
    request: Request, access: OfferEditorPage, db: ReadDbDep, principal: SignedInDep
) -> Response:
    return _editor(request, db, access, principal)


@router.post("/dashboard/offers/{offer_id}/game")
def save_game(
    request: Request, form: FormDep, access: OfferEditor, db: DbDep, principal: SignedInDep
) -> Response:
    offer = access.offer
    if text(form, "intent") == "delete":
        try:
            with db.begin_nested():
                games.clear_game(db, offer)
        except AppError as err:
            return _editor(request, db, access, principal,
                           errors=[f"game.error.{err.code}"], status=err.status)  # fmt: skip
        return redirect(request, f"/dashboard/offers/{offer.id}#game-h")
    assignment = text(form, "assignment")
    attributes, recipes = text(form, "attributes"), text(form, "recipes")
    mode = assignment if assignment in ASSIGNMENTS else "choose"
    hints = text(form, "hints") == "1"
    values: dict[str, Any] = {
        "attributes": attributes,
        "recipes": recipes,
        "assignment": mode,
        "hints": hints,
    }
    parsed = game_form.read(attributes, recipes, mode, hints)
    if parsed.errors:
        return _editor(request, db, access, principal, values=values, errors=parsed.errors,
                       status=422)  # fmt: skip
    try:
        with db.begin_nested():
            games.set_game(db, offer, GameIn.model_validate(parsed.payload))
    except AppError as err:
        errors: list[game_form.Message] = [_service_error(err)]
        return _editor(request, db, access, principal, values=values, errors=errors,
                       status=err.status)  # fmt: skip
    return redirect(request, _path(offer) + "?saved=1")


def _service_error(err: AppError) -> game_form.Message:
    details = err.details
    if err.code == "unknown_attribute" and "recipe" in details:
        names = ", ".join(str(a) for a in details.get("attributes", ()))
        return ("game.error.unknown_attribute_line",
                (("line", str(int(details["recipe"]) + 1)), ("keys", names)))  # fmt: skip
    if err.code == "attribute_in_use":
        names = ", ".join(str(a) for a in details.get("attributes", ()))
        return ("game.error.attribute_in_use", (("keys", names),))
    return f"game.error.{err.code}"


@router.post("/dashboard/offers/{offer_id}/game/players")
def assign_player(request: Request, form: FormDep, access: OfferEditor, db: DbDep) -> Response:
    """Give a player an attribute, or (``intent=remove``) take them out of the game."""
    offer = access.offer
    username = text(form, "username")[:64]
    try:
        with db.begin_nested():
            if text(form, "intent") == "remove":
                games.remove(db, offer, username)
            else:
                games.assign(db, offer, username, text(form, "attribute")[:16])
    except AppError as err:
        query = urlencode({"player_error": err.code})
        return redirect(request, f"{_path(offer)}?{query}#players-h")
    return redirect(request, f"{_path(offer)}#players-h")


@router.post("/offers/{offer_id}/game/join")
def join_game(
    request: Request, offer_id: int, form: FormDep, db: DbDep, principal: SignedInDep
) -> Response:
    """The player's pick (or their turn in round robin), then back to the page."""
    back = safe_next(text(form, "next"), default=f"/offers/{offer_id}")
    attribute = text(form, "attribute")[:16] or None
    offer = get_offer(db, offer_id)
    try:
        with db.begin_nested():
            games.join(db, offer, principal.signed_in_user(), attribute)
    except AppError as err:
        sep = "&" if "?" in back else "?"
        return redirect(request, f"{back}{sep}{urlencode({'game_error': err.code})}#game-h")
    return redirect(request, f"{back}#game-h")

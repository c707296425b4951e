"""The demo's combining game (``relaycode demo``): oxygen + hydrogen + hydrogen → water.

An offer of kind "combine" with three elements and three recipes, four players with
their elements, and a chain of shares already made (oscar, the oxygen, shares the
offer's code; hana, a hydrogen, shares his; hugo, another hydrogen, shares hers), so
the last code of the chain makes water. Idempotent: a game the merchant has edited
since is left as it is, and shares made before are found again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from relaycode.catalog import repository as catalog_repo
from relaycode.catalog.schemas import OfferCreate
from relaycode.catalog.service import create_offer
from relaycode.codes import repository as code_repo
from relaycode.codes import service as codes
from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.games import repository as games_repo
from relaycode.games import service as games
from relaycode.games.schemas import GameIn
from relaycode.models import Merchant, User
from relaycode.referrals import service as referrals

OFFER: dict[str, Any] = {
    "title": "Make water · 合成水",
    "price_minor": 1800,
    "currency": "CNY",
    "sku": "GAME-H2O",
    "category": "game",
    "payment_methods": ["wallet"],
    "description": "A pot of tea, and a game: every share adds the sharer's element. "
    "Oxygen + hydrogen + hydrogen make water, and water makes the tea free.",
}
GAME: dict[str, Any] = {
    "attributes": [
        {"key": "O", "label": "Oxygen · 氧"},
        {"key": "H", "label": "Hydrogen · 氢"},
        {"key": "C", "label": "Carbon · 碳"},
    ],
    "recipes": [
        {
            "items": ["O", "H", "H"],
            "title": "Water · 水",
            "description": "H₂O: what the tea is made with.",
            "reward": "A free pot of tea · 免费一壶茶",
        },
        {"items": ["C", "O", "O"], "title": "Carbon dioxide · 二氧化碳"},
        {"items": ["H", "H"], "title": "Hydrogen gas · 氢气"},
    ],
    "assignment": "choose",
    "hints": True,
}
PLAYERS = {"oscar": "O", "hana": "H", "hugo": "H", "carla": "C"}
CHAIN = ("oscar", "hana", "hugo")  # O → H → H: water


def seed(
    db: Session,
    settings: Settings,
    ring: Keyring,
    merchant: Merchant,
    user: Callable[[str], User],
) -> dict[str, Any]:
    """The game offer, its players and the water chain; what ``demo --json`` prints."""
    offer = catalog_repo.offer_by_sku(db, merchant.id, OFFER["sku"]) or create_offer(
        db, merchant, OfferCreate(**OFFER)
    )
    if games.game_of(offer) is None:
        offer = games.set_game(db, offer, GameIn.model_validate(GAME))
    players = {name: user(name) for name in PLAYERS}
    for name, attribute in PLAYERS.items():
        if games_repo.player(db, offer.id, players[name].id) is None:
            games.assign(db, offer, name, attribute)
    existing = code_repo.codes_of_offer(db, offer.id, limit=1)
    code = existing[0] if existing else codes.issue_offer_code(db, ring, offer, channel="demo")
    root = codes.code_text(settings, ring, code)
    chain: list[str | None] = []
    for name in CHAIN:
        code = referrals.create_share(
            db, ring, parent=code, sharer=players[name], device_id=None, channel="demo"
        )
        chain.append(codes.code_text(settings, ring, code))
    return {
        "offer_id": offer.id,
        "title": offer.title,
        "code": root,
        "players": {name: {"id": players[name].id, "attribute": a} for name, a in PLAYERS.items()},
        "chain": [{"sharer": n, "code": t} for n, t in zip(CHAIN, chain, strict=True)],
        "water": chain[-1],
    }

"""Queries of the combining game: players, and the attributes along a code's chain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, exists, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from relaycode.db.pagination import Order, Page, paginate
from relaycode.db.raw import Query
from relaycode.models import Code, GamePlayer, User
from relaycode.referrals.repository import LINEAGE_MAX

PLAYER_ORDER = Order(
    "players", (GamePlayer.created_at, GamePlayer.user_id), (datetime, int), descending=False
)


class comma_list(FunctionElement[str]):
    """The non-null values of a column joined with commas: ``group_concat(x)`` on
    SQLite, ``string_agg(x, ',')`` on PostgreSQL. (``func.aggregate_strings`` binds its
    separator as a post-compile parameter, which the raw readers do not expand.)"""

    type = String()
    inherit_cache = True
    name = "comma_list"


@compiles(comma_list)
def _comma_list_default(element: comma_list, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


@compiles(comma_list, "sqlite")
def _comma_list_sqlite(element: comma_list, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)})"


def _attributes(values: Sequence[Any]) -> tuple[str, ...]:
    joined = values[0]
    return tuple(joined.split(",")) if joined else ()


# The attributes the sharers along a code's chain hold, as one string (keys match
# games.schemas.KEY_PATTERN, so a comma never occurs in one): the lineage walk of
# referrals.repository.lineage, joined to each sharer's player row. An aggregate
# answers exactly one row, so every reader's ``first`` serves (the scan path's raw
# readers included). Order is lost, and a multiset needs none.
_start = select(
    Code.id.label("id"), Code.parent_id.label("parent_id"), literal(0, Integer).label("n")
).where(Code.id == bindparam("code_id"))
_chain = _start.cte("game_chain", recursive=True)
_up = aliased(Code)
_chain = _chain.union_all(
    select(_up.id, _up.parent_id, _chain.c.n + 1)
    .join(_chain, _up.id == _chain.c.parent_id)
    .where(_chain.c.n < LINEAGE_MAX - 1)
)
CHAIN = Query(
    select(comma_list(GamePlayer.attribute))
    .select_from(_chain)
    .join(Code, Code.id == _chain.c.id)
    .join(
        GamePlayer,
        and_(GamePlayer.offer_id == Code.offer_id, GamePlayer.user_id == Code.holder_user_id),
    )
    .where(Code.kind == "share"),
    _attributes,
)


def chain_attributes(db: Session, code_id: str) -> tuple[str, ...]:
    row = db.execute(CHAIN.stmt, {"code_id": code_id.lower()}).first()
    return _attributes(tuple(row)) if row is not None else ()


def player(db: Session, offer_id: int, user_id: int) -> GamePlayer | None:
    return db.get(GamePlayer, (offer_id, user_id))


def has_shared(db: Session, offer_id: int, user_id: int) -> bool:
    """Whether the user holds a share of this offer: their attribute is then in codes."""
    return bool(
        db.scalar(
            select(
                exists().where(
                    Code.offer_id == offer_id,
                    Code.holder_user_id == user_id,
                    Code.kind == "share",
                )
            )
        )
    )


def sharers_among(db: Session, offer_id: int, user_ids: Iterable[int]) -> set[int]:
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    rows = db.scalars(
        select(Code.holder_user_id)
        .where(Code.offer_id == offer_id, Code.kind == "share", Code.holder_user_id.in_(ids))
        .distinct()
    )
    return {int(r) for r in rows if r is not None}


def counts(db: Session, offer_id: int) -> dict[str, int]:
    rows = db.execute(
        select(GamePlayer.attribute, func.count())
        .where(GamePlayer.offer_id == offer_id)
        .group_by(GamePlayer.attribute)
    ).all()
    return {str(a): int(n) for a, n in rows}


def player_count(db: Session, offer_id: int) -> int:
    return int(db.scalar(select(func.count()).where(GamePlayer.offer_id == offer_id)) or 0)


def players_page(
    db: Session, offer_id: int, *, cursor: str | None, limit: int
) -> Page[tuple[GamePlayer, User]]:
    """The game's players, in the order they joined."""
    q = (
        select(GamePlayer, User)
        .join(User, User.id == GamePlayer.user_id)
        .where(GamePlayer.offer_id == offer_id)
    )
    return paginate(db, q, PLAYER_ORDER, cursor=cursor, limit=limit)


def any_player_shared(db: Session, offer_id: int) -> bool:
    """Whether some player of the game holds a share of it (their moves are in codes)."""
    return bool(
        db.scalar(
            select(
                exists()
                .where(Code.offer_id == offer_id, Code.kind == "share")
                .where(
                    exists().where(
                        GamePlayer.offer_id == offer_id,
                        GamePlayer.user_id == Code.holder_user_id,
                    )
                )
            )
        )
    )

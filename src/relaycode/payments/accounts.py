"""Ledger accounts: the kinds there are, who owns each, and get-or-create.

Sign convention: a positive balance is value the platform holds *for* the owner (a
wallet's spendable money, a merchant's proceeds, a referrer's commission). System and
clearing accounts (grants given, money arrived through a provider, payouts sent) are the
other side of those movements and usually negative; only they may be (``allow_negative``).
Use these through ``payments.ledger``, which re-exports them.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import Engine, Table, create_engine, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from relaycode.db.base import utcnow
from relaycode.db.txcache import tx_cache
from relaycode.errors import InvalidInput
from relaycode.models import LedgerAccount
from relaycode.money import MoneyError, currency_code

Owner = Literal["user", "merchant", "provider", "platform"]
NAME = re.compile(r"^[a-z][a-z0-9_.:-]{0,31}$")  # kinds, reference types, provider names


@dataclass(frozen=True)
class AccountKind:
    name: str
    owner: Owner
    allow_negative: bool
    what: str


# The accounts there are. A new kind is a line here (and one in docs/ledger.md).
KINDS: dict[str, AccountKind] = {
    k.name: k
    for k in (
        AccountKind("user_wallet", "user", False, "a user's spendable balance"),
        AccountKind("commissions_pending", "user", False, "commissions earned, still on hold"),
        AccountKind("commissions_available", "user", False, "commissions that may be withdrawn"),
        AccountKind("withdrawals_pending", "user", False, "withdrawals awaiting an operator"),
        # Negative: commissions reversed after the referrer had withdrawn them, owed back
        # and settled from their next released commissions (docs/commissions.md).
        AccountKind("commissions_owed", "user", True, "reversed commissions still owed back"),
        AccountKind("merchant", "merchant", False, "sales proceeds owed to a merchant"),
        AccountKind("platform_revenue", "platform", False, "the platform's own commissions"),
        AccountKind("platform_grants", "platform", True, "top-ups granted by operators"),
        AccountKind("provider_clearing", "provider", True, "money moved through a provider"),
        AccountKind("payouts", "platform", True, "money paid out of the platform"),
    )
}


def owner_key(
    kind: str, *, user_id: int | None, merchant_id: int | None, provider: str | None
) -> str:
    """The account's owner as one string ("user:12"); ``ValueError`` on a wrong owner."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown ledger account kind {kind!r}")
    given = {"user": user_id, "merchant": merchant_id, "provider": provider}
    if any(v is not None for o, v in given.items() if o != spec.owner):
        raise ValueError(f"a {kind} account belongs to a {spec.owner}")
    if spec.owner == "platform":
        return "platform"
    value = given[spec.owner]
    if value is None:
        raise ValueError(f"a {kind} account needs its {spec.owner}")
    if spec.owner == "provider" and not NAME.match(str(value)):
        raise ValueError(f"bad provider name {value!r}")
    return f"{spec.owner}:{value}"


def _currency(currency: str) -> str:
    try:
        return currency_code(currency)
    except MoneyError:
        raise InvalidInput(f"unknown currency {currency!r}", code="unknown_currency") from None


def find_account(
    db: Session,
    kind: str,
    currency: str,
    *,
    user_id: int | None = None,
    merchant_id: int | None = None,
    provider: str | None = None,
) -> LedgerAccount | None:
    """The account if it exists (never creates one: for read-only transactions).

    Looked up once per transaction: later calls take the row from the session (a
    checkout asks for the same few accounts many times)."""
    key = owner_key(kind, user_id=user_id, merchant_id=merchant_id, provider=provider)
    code = _currency(currency)
    known = tx_cache(db, "ledger_accounts")
    cached_id = known.get((kind, key, code))
    if cached_id is not None:
        hit = db.get(LedgerAccount, cached_id)
        # Re-checked: a rolled-back savepoint may have undone the row, its id reused.
        if hit is not None and (hit.kind, hit.owner_key, hit.currency) == (kind, key, code):
            return hit
    found = db.scalar(
        select(LedgerAccount).where(
            LedgerAccount.kind == kind,
            LedgerAccount.owner_key == key,
            LedgerAccount.currency == code,
        )
    )
    if found is not None:
        known[(kind, key, code)] = found.id
    return found


def account(
    db: Session,
    kind: str,
    currency: str,
    *,
    user_id: int | None = None,
    merchant_id: int | None = None,
    provider: str | None = None,
) -> LedgerAccount:
    """The owner's account of ``kind`` in ``currency``, created (empty) if missing.

    Race-safe: the row is made with ``INSERT … ON CONFLICT DO NOTHING`` on the unique
    (kind, owner, currency). On PostgreSQL it is made in a short transaction of its own,
    committed at once (``_insert_apart``): an uncommitted row in the unique index makes
    every other transaction creating the same account wait for this one to end, and two
    long transactions that each made an account the other needs (a commission release
    and a refund reversal, two releases of different referrers) deadlock. An empty
    account is harmless to keep if the caller then rolls back.
    """
    code = _currency(currency)
    found = find_account(
        db, kind, code, user_id=user_id, merchant_id=merchant_id, provider=provider
    )
    if found is not None:
        return found
    key = owner_key(kind, user_id=user_id, merchant_id=merchant_id, provider=provider)
    values = {
        "kind": kind,
        "owner_key": key,
        "user_id": user_id,
        "merchant_id": merchant_id,
        "currency": code,
        "balance_minor": 0,
        "allow_negative": KINDS[kind].allow_negative,
        "created_at": utcnow(),
    }
    if not _insert_apart(db, values):
        dialect = db.get_bind().dialect.name
        db.execute(_insert(dialect, values))
    made = find_account(db, kind, code, user_id=user_id, merchant_id=merchant_id, provider=provider)
    if made is None:  # not possible: the row was inserted or another transaction's is seen
        raise RuntimeError("ledger account vanished after it was created")
    return made


def _insert(dialect: str, values: dict[str, Any]) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, LedgerAccount.__table__)
    return (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["kind", "owner_key", "currency"])
    )


# One unpooled engine per application engine: the side connections of _insert_apart
# never hold a pooled connection a request is waiting for, nor keep a database open.
_SIDE: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
SIDE_LOCK_TIMEOUT = "1s"


def _insert_apart(db: Session, values: dict[str, Any]) -> bool:
    """PostgreSQL: commit the new account in a connection of its own; True when done.

    False (the caller then inserts it in its own transaction) on SQLite, where one
    writer at a time cannot deadlock and a second connection would wait on the first;
    when the owner is not committed yet (a user made in this very transaction: the side
    connection cannot see it, and no other transaction can be making its accounts); and
    when the insert waits on a lock this transaction holds (the owner's row locked
    ``FOR UPDATE``), which ``lock_timeout`` turns into an error instead of a hang."""
    bind = db.get_bind()
    engine = cast(Engine, getattr(bind, "engine", bind))
    if engine.dialect.name != "postgresql":
        return False
    side = _SIDE.get(engine)
    if side is None:
        side = _SIDE[engine] = create_engine(engine.url, poolclass=NullPool)
    try:
        with side.begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{SIDE_LOCK_TIMEOUT}'"))
            conn.execute(_insert("postgresql", values))
    except DBAPIError:
        return False
    return True

"""``relaycode ledger check``: prove the ledger's invariants from the rows themselves.

1. every transaction has entries, and they sum to zero in each currency;
2. every account's cached ``balance_minor`` equals the sum of its entries;
3. every entry's ``balance_after_minor`` is the running sum of its account's entries;
4. no account that must not go negative is (nor is allowed to be), and every account is
   of a known kind.

Each check is one query, so each sees one consistent state even while postings run;
the CLI runs them all in one snapshot (a read-only, repeatable-read transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from relaycode.models import LedgerAccount, LedgerEntry, LedgerTransaction
from relaycode.payments.accounts import KINDS


@dataclass(frozen=True)
class Problem:
    check: str  # unbalanced, empty, balance_mismatch, running_balance, negative, kind
    message: str
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "message": self.message, **self.facts}


@dataclass(frozen=True)
class Report:
    accounts: int
    transactions: int
    entries: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": {
                "accounts": self.accounts,
                "transactions": self.transactions,
                "entries": self.entries,
                "problems": len(self.problems),
            },
            "problems": [p.to_dict() for p in self.problems],
        }


def check(db: Session) -> Report:
    problems = [
        *_unbalanced(db),
        *_empty(db),
        *_balance_mismatch(db),
        *_running_balance(db),
        *_negative(db),
        *_kinds(db),
    ]
    return Report(
        accounts=db.scalar(select(func.count()).select_from(LedgerAccount)) or 0,
        transactions=db.scalar(select(func.count()).select_from(LedgerTransaction)) or 0,
        entries=db.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
        problems=problems,
    )


def _sums() -> Any:
    """Per account: the sum of its entries (accounts without entries are absent)."""
    return (
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_minor).label("total"))
        .group_by(LedgerEntry.account_id)
        .subquery()
    )


def _unbalanced(db: Session) -> list[Problem]:
    total = func.sum(LedgerEntry.amount_minor)
    q = (
        select(LedgerEntry.transaction_id, LedgerAccount.currency, total)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .group_by(LedgerEntry.transaction_id, LedgerAccount.currency)
        .having(total != 0)
        .order_by(LedgerEntry.transaction_id, LedgerAccount.currency)
    )
    return [
        Problem(
            "unbalanced",
            f"transaction {t}: its {c} entries sum to {s}, not 0",
            {"transaction_id": t, "currency": c, "sum_minor": int(s)},
        )
        for t, c, s in db.execute(q)
    ]


def _empty(db: Session) -> list[Problem]:
    has_entries = select(LedgerEntry.id).where(LedgerEntry.transaction_id == LedgerTransaction.id)
    q = select(LedgerTransaction.id).where(~has_entries.exists()).order_by(LedgerTransaction.id)
    return [
        Problem("empty", f"transaction {t} has no entries", {"transaction_id": t})
        for t in db.scalars(q)
    ]


def _balance_mismatch(db: Session) -> list[Problem]:
    sums = _sums()
    total = func.coalesce(sums.c.total, 0)
    q = (
        select(LedgerAccount.id, LedgerAccount.balance_minor, total)
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.balance_minor != total)
        .order_by(LedgerAccount.id)
    )
    return [
        Problem(
            "balance_mismatch",
            f"account {a}: balance {b}, but its entries sum to {s}",
            {"account_id": a, "balance_minor": b, "sum_minor": int(s)},
        )
        for a, b, s in db.execute(q)
    ]


def _running_balance(db: Session) -> list[Problem]:
    running = (
        func.sum(LedgerEntry.amount_minor)
        .over(partition_by=LedgerEntry.account_id, order_by=LedgerEntry.id)
        .label("running")
    )
    inner = select(
        LedgerEntry.id, LedgerEntry.account_id, LedgerEntry.balance_after_minor, running
    ).subquery()
    q = (
        select(inner.c.account_id, func.min(inner.c.id), func.count())
        .where(inner.c.balance_after_minor != inner.c.running)
        .group_by(inner.c.account_id)
        .order_by(inner.c.account_id)
    )
    return [
        Problem(
            "running_balance",
            f"account {a}: {n} entries whose balance after is not the running sum "
            f"(first: entry {first})",
            {"account_id": a, "entries": n, "first_entry_id": first},
        )
        for a, first, n in db.execute(q)
    ]


def _negative(db: Session) -> list[Problem]:
    sums = _sums()
    total = func.coalesce(sums.c.total, 0)
    q = (
        select(LedgerAccount.id, LedgerAccount.kind, LedgerAccount.balance_minor, total)
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(
            and_(
                LedgerAccount.allow_negative.is_(False),
                or_(LedgerAccount.balance_minor < 0, total < 0),
            )
        )
        .order_by(LedgerAccount.id)
    )
    return [
        Problem(
            "negative",
            f"account {a} ({k}) must not go negative, but is at {min(b, int(s))}",
            {"account_id": a, "kind": k, "balance_minor": b, "sum_minor": int(s)},
        )
        for a, k, b, s in db.execute(q)
    ]


def _kinds(db: Session) -> list[Problem]:
    may = [k.name for k in KINDS.values() if k.allow_negative]
    never = [k.name for k in KINDS.values() if not k.allow_negative]
    q = (
        select(LedgerAccount.id, LedgerAccount.kind, LedgerAccount.allow_negative)
        .where(
            or_(
                LedgerAccount.kind.not_in([*may, *never]),
                and_(LedgerAccount.kind.in_(may), LedgerAccount.allow_negative.is_(False)),
                and_(LedgerAccount.kind.in_(never), LedgerAccount.allow_negative.is_(True)),
            )
        )
        .order_by(LedgerAccount.id)
    )
    found: list[Problem] = []
    for a, kind, allow in db.execute(q):
        if kind not in KINDS:
            message = f"account {a} is of an unknown kind {kind!r}"
        else:
            message = f"account {a} ({kind}) is flagged as {'' if allow else 'never '}" + (
                "allowed to go negative, against its kind's rule"
            )
        found.append(Problem("kind", message, {"account_id": a, "kind": kind}))
    return found

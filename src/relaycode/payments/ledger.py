"""The double-entry wallet ledger (the patent's payment server 8): postings and balances.

Every movement of money is ONE ``post``: a transaction whose entries sum to zero in
each currency. An entry adds its signed ``amount_minor`` to one account; an account's
``balance_minor`` is the sum of its entries, cached on the account and changed only
here, under the account's row lock. docs/ledger.md lists the accounts and the
invariants that ``relaycode ledger check`` (payments/ledger_check.py) proves.

The API the other slices call: ``account`` / ``find_account`` (accounts.py, re-exported
here), ``post``, ``balance`` and ``entries_of``; ``repository.history`` pages an
account's entries. Services never commit: the request's (or the CLI's) transaction does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaycode.db.base import utcnow
from relaycode.db.locking import get_many_for_update
from relaycode.errors import AppError
from relaycode.models import LedgerAccount, LedgerEntry, LedgerTransaction
from relaycode.payments.accounts import KINDS, NAME, AccountKind, account, find_account

__all__ = [
    "KINDS",
    "MAX_AMOUNT",
    "AccountKind",
    "IdempotencyKeyReused",
    "InsufficientFunds",
    "InvalidPosting",
    "Line",
    "Reference",
    "account",
    "balance",
    "entries_of",
    "find_account",
    "post",
]

# One line of a posting: the account and the signed amount it receives.
Line = tuple[LedgerAccount, int]
# What a transaction is about: ("order", 42), ("stripe_payment_intent", "pi_3Nx…").
Reference = tuple[str, str | int]

MAX_AMOUNT = 10**15  # per line: MAX_MINOR (10**12) per price leaves room for quantities
MAX_BALANCE = 2**62  # far inside BIGINT, so no sum of balances overflows it
MAX_KEY = 128
MAX_MEMO = 200


class InsufficientFunds(AppError):
    """A posting would take an account that must not go negative below zero."""

    status = 409
    code = "insufficient_funds"


class InvalidPosting(AppError):
    """Not a posting: unbalanced, no lines, a zero or too large amount, a bad name."""

    status = 422
    code = "invalid_posting"


class IdempotencyKeyReused(AppError):
    """The key names an earlier transaction that moved other amounts or accounts."""

    status = 422
    code = "idempotency_key_reused"


def post(
    db: Session,
    *,
    kind: str,
    lines: Sequence[Line],
    reference: Reference | None = None,
    idempotency_key: str | None = None,
    memo: str | None = None,
) -> LedgerTransaction:
    """Move money: one transaction of ``lines`` that balance per currency.

    Lock, check, do: every account touched is locked (``SELECT … FOR UPDATE``, in
    primary-key order, so two postings over the same accounts queue and never deadlock),
    its balance read fresh, and an account that must not go negative is refused with
    ``insufficient_funds`` (409) if the posting would take it below zero. Then the
    transaction, its entries and the new cached balances are written (flushed, not
    committed).

    With ``idempotency_key`` the posting happens once: the same key again returns the
    transaction it made (nothing moves a second time), also when both arrive at once;
    the same key with other kind, lines or reference is ``idempotency_key_reused``
    (422). Keys are global: prefix them with what they are about ("order:42:pay").
    """
    net = _validate(kind, lines, reference, idempotency_key, memo)
    ref_type, ref_id = (reference[0], str(reference[1])) if reference else (None, None)
    locked = {a.id: a for a in get_many_for_update(db, LedgerAccount, net)}
    if len(locked) != len(net):
        raise InvalidPosting("a ledger account of this posting does not exist")
    if idempotency_key is not None:
        # Asked under the locks (a twin posting that held them has committed now), and
        # before the balances: a retry must find its first result, not be refused.
        earlier = _by_key(db, idempotency_key)
        if earlier is not None:
            return _same_or_refuse(db, earlier, kind, net, ref_type, ref_id)
    for account_id, amount in net.items():
        acct = locked[account_id]
        after = acct.balance_minor + amount
        if amount < 0 and after < 0 and not acct.allow_negative:
            raise InsufficientFunds(
                "the balance does not cover this",
                details={"currency": acct.currency, "account_kind": acct.kind},
            )
        if abs(after) > MAX_BALANCE:
            raise InvalidPosting("this would take a balance beyond what the ledger holds")
    values: dict[str, object] = {
        "kind": kind,
        "memo": memo,
        "reference_type": ref_type,
        "reference_id": ref_id,
        "idempotency_key": idempotency_key,
        "created_at": utcnow(),
    }
    txn = _insert_once(db, values)
    if txn is None:  # a twin over other accounts (not queued behind ours) made the key
        earlier = _by_key(db, str(idempotency_key))
        if earlier is None:
            raise RuntimeError("a ledger idempotency key conflicted but no row holds it")
        return _same_or_refuse(db, earlier, kind, net, ref_type, ref_id)
    for acct, amount in lines:
        row = locked[acct.id]
        row.balance_minor += amount
        db.add(
            LedgerEntry(
                transaction_id=txn.id,
                account_id=row.id,
                amount_minor=amount,
                balance_after_minor=row.balance_minor,
            )
        )
    db.flush()
    return txn


def _validate(
    kind: str,
    lines: Sequence[Line],
    reference: Reference | None,
    key: str | None,
    memo: str | None,
) -> dict[int, int]:
    """The amount per account id; ``InvalidPosting`` for anything that is not a posting."""
    if not NAME.match(kind):
        raise InvalidPosting(f"bad transaction kind {kind!r}")
    if reference is not None and (
        not NAME.match(reference[0]) or not 1 <= len(str(reference[1])) <= 64
    ):
        raise InvalidPosting("a reference is a short type and an id of 1 to 64 characters")
    if key is not None and not 1 <= len(key) <= MAX_KEY:
        raise InvalidPosting(f"an idempotency key has 1 to {MAX_KEY} characters")
    if memo is not None and len(memo) > MAX_MEMO:
        raise InvalidPosting(f"a memo has at most {MAX_MEMO} characters")
    if len(lines) < 2:
        raise InvalidPosting("a posting has at least two lines")
    net: dict[int, int] = {}
    per_currency: dict[str, int] = defaultdict(int)
    for acct, amount in lines:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidPosting("amounts are integers of minor units")
        if amount == 0 or abs(amount) > MAX_AMOUNT:
            raise InvalidPosting(f"an amount is not zero and at most {MAX_AMOUNT} in size")
        if acct.id is None:
            raise InvalidPosting("a ledger account of this posting was never saved")
        if acct.id in net:
            raise InvalidPosting("an account appears twice in one posting")
        net[acct.id] = amount
        per_currency[acct.currency] += amount
    unbalanced = sorted(c for c, total in per_currency.items() if total)
    if unbalanced:
        raise InvalidPosting(f"the lines do not balance in {', '.join(unbalanced)}")
    return net


def _insert_once(db: Session, values: dict[str, object]) -> LedgerTransaction | None:
    """The new transaction row, or None when its idempotency key is taken: one
    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (no savepoint round trips)."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(LedgerTransaction)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(LedgerTransaction)
    )
    return db.scalars(stmt).first()


def _by_key(db: Session, key: str) -> LedgerTransaction | None:
    return db.scalar(select(LedgerTransaction).where(LedgerTransaction.idempotency_key == key))


def _same_or_refuse(
    db: Session,
    earlier: LedgerTransaction,
    kind: str,
    net: dict[int, int],
    ref_type: str | None,
    ref_id: str | None,
) -> LedgerTransaction:
    moved = {e.account_id: e.amount_minor for e in entries_of(db, earlier)}
    same_ref = (earlier.reference_type, earlier.reference_id) == (ref_type, ref_id)
    if earlier.kind != kind or moved != net or not same_ref:
        raise IdempotencyKeyReused("this idempotency key was used for another movement")
    return earlier


def entries_of(db: Session, txn: LedgerTransaction) -> list[LedgerEntry]:
    """A transaction's entries, in the order they were posted."""
    q = select(LedgerEntry).where(LedgerEntry.transaction_id == txn.id).order_by(LedgerEntry.id)
    return list(db.scalars(q))


def balance(db: Session, acct: LedgerAccount) -> int:
    """The account's balance now, read from the database (not from a loaded object)."""
    value = db.scalar(select(LedgerAccount.balance_minor).where(LedgerAccount.id == acct.id))
    if value is None:
        raise InvalidPosting("no such ledger account")
    return value

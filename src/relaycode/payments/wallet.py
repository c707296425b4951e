"""The wallet: a user's spendable balance per currency, and the operator's top-up grant.

A grant is one ledger posting: the platform's ``platform_grants`` account (which may go
negative: it counts what has been granted) gives, the user's ``user_wallet`` receives.
Stripe top-ups arrive through a provider's clearing account (another slice).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from relaycode.errors import InvalidInput, NotFound
from relaycode.identity import repository as id_repo
from relaycode.models import LedgerAccount, LedgerTransaction, User
from relaycode.money import MAX_MINOR
from relaycode.payments import ledger
from relaycode.payments import repository as repo

GRANT = "grant"  # the transaction kind of a top-up granted by an operator


@dataclass(frozen=True)
class Granted:
    user: User
    wallet: LedgerAccount
    transaction: LedgerTransaction
    amount_minor: int
    balance_minor: int


def wallet_account(db: Session, user_id: int, currency: str) -> LedgerAccount:
    """The user's wallet in ``currency``, made if missing (a writable transaction)."""
    return ledger.account(db, "user_wallet", currency, user_id=user_id)


def balances(db: Session, user_id: int) -> list[LedgerAccount]:
    """The user's wallets, one per currency they ever held, by currency (read-only)."""
    return repo.user_accounts(db, user_id, "user_wallet")


def grant(
    db: Session,
    user: User,
    amount_minor: int,
    currency: str,
    *,
    memo: str | None = None,
    idempotency_key: str | None = None,
    operator: User | None = None,
) -> Granted:
    """Top up ``user``'s wallet by ``amount_minor`` of ``currency`` (an operator's grant).

    ``invalid_amount`` (422) unless 1 ≤ amount ≤ MAX_MINOR; ``unknown_currency`` (422).
    With ``idempotency_key`` a repeated grant moves nothing and answers the first one.
    """
    if isinstance(amount_minor, bool) or not 1 <= amount_minor <= MAX_MINOR:
        raise InvalidInput(f"a grant is 1 to {MAX_MINOR} minor units", code="invalid_amount")
    source = ledger.account(db, "platform_grants", currency)
    wallet = wallet_account(db, user.id, currency)
    reference = ("operator", operator.id) if operator is not None else None
    txn = ledger.post(
        db,
        kind=GRANT,
        lines=[(source, -amount_minor), (wallet, amount_minor)],
        reference=reference,
        idempotency_key=idempotency_key,
        memo=memo,
    )
    return Granted(
        user=user,
        wallet=wallet,
        transaction=txn,
        amount_minor=amount_minor,
        balance_minor=ledger.balance(db, wallet),
    )


def grant_to(
    db: Session,
    username: str,
    amount_minor: int,
    currency: str,
    *,
    memo: str | None = None,
    idempotency_key: str | None = None,
    operator: User | None = None,
) -> Granted:
    """``grant`` to the user called ``username``; ``user_not_found`` (404) otherwise."""
    user = id_repo.user_by_username(db, username)
    if user is None:
        raise NotFound(f"no user {username.strip().lower()!r}", code="user_not_found")
    return grant(
        db,
        user,
        amount_minor,
        currency,
        memo=memo,
        idempotency_key=idempotency_key,
        operator=operator,
    )

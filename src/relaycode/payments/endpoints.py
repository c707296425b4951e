"""HTTP for the wallet: my balances and history, and the operator's top-up grant (thin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from relaycode.deps import DbDep, ReadDbDep
from relaycode.errors import Forbidden
from relaycode.identity.auth import UserDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.models import LedgerAccount, LedgerEntry, LedgerTransaction
from relaycode.payments import repository as repo
from relaycode.payments import wallet
from relaycode.payments.schemas import BalanceOut, EntryOut, GrantIn, GrantOut, WalletOut

router = APIRouter(tags=["wallet"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=80,
        pattern=r"^[\x21-\x7e]+$",
        description="A retried request with the same key grants once and answers the same",
    ),
]
CurrencyQuery = Annotated[
    str | None, Query(pattern=r"^[A-Za-z]{3}$", description="Only this currency (ISO 4217)")
]


def entry_out(entry: LedgerEntry, txn: LedgerTransaction, acct: LedgerAccount) -> EntryOut:
    return EntryOut(
        id=entry.id,
        transaction_id=txn.id,
        kind=txn.kind,
        currency=acct.currency,
        amount_minor=entry.amount_minor,
        balance_after_minor=entry.balance_after_minor,
        memo=txn.memo,
        reference_type=txn.reference_type,
        reference_id=txn.reference_id,
        created_at=txn.created_at,
    )


@router.get("/me/wallet")
def my_wallet(user: UserDep, db: ReadDbDep) -> WalletOut:
    """Your wallet's balance in each currency it ever held."""
    accounts = wallet.balances(db, user.id)
    return WalletOut(
        balances=[BalanceOut(currency=a.currency, balance_minor=a.balance_minor) for a in accounts]
    )


@router.get("/me/wallet/entries")
def my_wallet_entries(
    user: UserDep,
    db: ReadDbDep,
    currency: CurrencyQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[EntryOut]:
    """Your wallet's history, newest first, a page at a time."""
    accounts = repo.user_accounts(
        db, user.id, "user_wallet", currency.upper() if currency else None
    )
    page = repo.history(db, accounts, cursor=cursor, limit=limit)
    return ListOut(items=[entry_out(*row) for row in page.items], next_cursor=page.next_cursor)


@router.post("/admin/wallet-grants", status_code=status.HTTP_201_CREATED)
def grant(
    data: GrantIn, user: UserDep, db: DbDep, idempotency_key: IdempotencyKey = None
) -> GrantOut:
    """Top up a user's wallet (operators only): one ledger posting from the platform's
    grants account. With an `Idempotency-Key` a retry grants nothing more."""
    if not user.is_operator:
        raise Forbidden("only operators grant top-ups", code="not_operator")
    # Keys are the operator's own: another operator's (or another slice's) never collide.
    key = f"grant:{user.id}:{idempotency_key}" if idempotency_key else None
    done = wallet.grant_to(
        db,
        data.username,
        data.amount_minor,
        data.currency,
        memo=data.memo,
        idempotency_key=key,
        operator=user,
    )
    return GrantOut(
        transaction_id=done.transaction.id,
        username=done.user.username or "",
        currency=done.wallet.currency,
        amount_minor=done.amount_minor,
        balance_minor=done.balance_minor,
    )

"""HTTP for a referrer's commissions and withdrawals, and the operators' payout queue."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Header, Query, status
from fastapi.responses import StreamingResponse

from relaycode.codes.listing import safe_cell
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import Forbidden
from relaycode.identity.auth import UserDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.models import User
from relaycode.referrals import commission_repository as repo
from relaycode.referrals import withdrawals
from relaycode.referrals.withdrawal_schemas import (
    AdminWithdrawalOut,
    CommissionBalanceOut,
    CommissionBalancesOut,
    CommissionOut,
    DecisionIn,
    WithdrawalIn,
    WithdrawalOut,
)
from relaycode.state import AppState

router = APIRouter(tags=["commissions"])

CommissionStatus = Literal["pending", "available", "reversed", "blocked"]
WithdrawalStatus = Literal["requested", "approved", "rejected"]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=80,
        pattern=r"^[\x21-\x7e]+$",
        description="A retried request with the same key is one withdrawal",
    ),
]
CSV_COLUMNS = (
    "id", "created_at", "user_id", "username", "amount_minor", "currency",
    "payout_details", "status", "decided_at", "note",
)  # fmt: skip


def _operator(user: User) -> User:
    if not user.is_operator:
        raise Forbidden("only operators handle withdrawals", code="not_operator")
    return user


@router.get("/me/commissions")
def my_commissions(
    user: UserDep,
    db: ReadDbDep,
    status: Annotated[CommissionStatus | None, Query(description="Only these")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[CommissionOut]:
    """Your commissions, newest first: earned (pending, then available), reversed by
    refunds, or blocked (with the reason)."""
    page = repo.my_commissions(db, user.id, status=status, cursor=cursor, limit=limit)
    return ListOut(
        items=[CommissionOut.of(c, o) for c, o in page.items], next_cursor=page.next_cursor
    )


@router.get("/me/commission-balances")
def my_commission_balances(user: UserDep, db: ReadDbDep) -> CommissionBalancesOut:
    """What your commissions come to, per currency."""
    rows = repo.balances(db, user.id)
    return CommissionBalancesOut(
        balances=[
            CommissionBalanceOut(
                currency=cur,
                pending=b["commissions_pending"],
                available=b["commissions_available"],
                withdrawing=b["withdrawals_pending"],
                owed=-min(0, b["commissions_owed"]),
            )
            for cur, b in rows.items()
        ]
    )


@router.post("/me/withdrawals", status_code=status.HTTP_201_CREATED)
def request_withdrawal(
    data: WithdrawalIn, user: UserDep, db: DbDep, idempotency_key: IdempotencyKey
) -> WithdrawalOut:
    """Ask to be paid ``amount`` of your available commissions (409 ``insufficient_funds``
    when they do not cover it). The same `Idempotency-Key` again answers the same one."""
    done = withdrawals.request(
        db, user, data.amount, data.currency, data.payout_details, idempotency_key
    )
    return WithdrawalOut.of(done.withdrawal)


@router.get("/me/withdrawals")
def my_withdrawals(
    user: UserDep, db: ReadDbDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> ListOut[WithdrawalOut]:
    """Your withdrawal requests, newest first."""
    page = repo.my_withdrawals(db, user.id, cursor=cursor, limit=limit)
    return ListOut(items=[WithdrawalOut.of(w) for w in page.items], next_cursor=page.next_cursor)


@router.get("/admin/withdrawals")
def withdrawal_queue(
    user: UserDep,
    db: ReadDbDep,
    status: Annotated[WithdrawalStatus | None, Query(description="Only these")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[AdminWithdrawalOut]:
    """Withdrawal requests, oldest first (operators only)."""
    _operator(user)
    page = repo.withdrawal_queue(db, status=status, cursor=cursor, limit=limit)
    items = [AdminWithdrawalOut.with_user(w, name) for w, name in page.items]
    return ListOut(items=items, next_cursor=page.next_cursor)


def _csv(state: AppState, status: str | None) -> Iterator[bytes]:
    # Its own read-only session: the request's has ended by the time the body streams.
    session = state.db.readonly_sessionmaker()
    try:
        with session.begin():
            buffer = io.StringIO()
            writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            writer.writerow(CSV_COLUMNS)
            for count, (w, name) in enumerate(repo.all_withdrawals(session, status=status), 1):
                writer.writerow([safe_cell(v) for v in (
                    w.id, w.created_at, w.user_id, name, w.amount_minor, w.currency,
                    w.payout_details, w.status, w.decided_at, w.note,
                )])  # fmt: skip
                if count % 200 == 0:
                    yield buffer.getvalue().encode("utf-8")
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue().encode("utf-8")
    finally:
        session.close()


@router.get(
    "/admin/withdrawals.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_withdrawals(
    user: UserDep,
    state: StateDep,
    status: Annotated[WithdrawalStatus | None, Query(description="Only these")] = None,
) -> StreamingResponse:
    """Withdrawals as CSV for paying them out (operators only, streamed, oldest first).
    A cell a spreadsheet would read as a formula (= + - @) is prefixed with ``'``."""
    _operator(user)
    name = f"relaycode-withdrawals-{status or 'all'}.csv"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(
        _csv(state, status), media_type="text/csv; charset=utf-8", headers=headers
    )


def _decide(
    db: DbDep, user: User, withdrawal_id: int, approve: bool, data: DecisionIn | None
) -> AdminWithdrawalOut:
    _operator(user)
    w = withdrawals.decide(
        db, user, withdrawal_id, approve=approve, note=data.note if data else None
    )
    owner = db.get(User, w.user_id)
    return AdminWithdrawalOut.with_user(w, owner.username if owner else None)


@router.post("/admin/withdrawals/{withdrawal_id}/approve")
def approve_withdrawal(
    withdrawal_id: int,
    user: UserDep,
    db: DbDep,
    data: Annotated[DecisionIn | None, Body()] = None,
) -> AdminWithdrawalOut:
    """Mark a withdrawal paid out (operators only); again: no change."""
    return _decide(db, user, withdrawal_id, True, data)


@router.post("/admin/withdrawals/{withdrawal_id}/reject")
def reject_withdrawal(
    withdrawal_id: int,
    user: UserDep,
    db: DbDep,
    data: Annotated[DecisionIn | None, Body()] = None,
) -> AdminWithdrawalOut:
    """Refuse a withdrawal: its amount is available again (operators only)."""
    return _decide(db, user, withdrawal_id, False, data)

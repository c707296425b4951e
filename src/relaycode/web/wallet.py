"""The wallet page: balances per currency, the ledger history, how to top up; and the
referrer's commissions and withdrawals (web/withdrawal_pages.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.identity.auth import Principal
from relaycode.payments import repository as ledger_repo
from relaycode.payments import wallet
from relaycode.web.dashboard import FlashDbDep
from relaycode.web.flash import clear_flash, take_flash
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page
from relaycode.web.session import SignedInDep, device_key_missing
from relaycode.web.withdrawal_pages import commission_context

router = APIRouter()


def wallet_response(
    request: Request,
    db: Session,
    principal: Principal,
    extra: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    user = principal.signed_in_user()
    accounts = wallet.balances(db, user.id)
    history = ledger_repo.history(db, accounts, cursor=cursor_of(request), limit=PAGE_SIZE)
    context = {
        "user": user,
        "accounts": accounts,
        "entries": history.items,
        "entries_pager": pager(request, history, anchor="history-h"),
        "device_key_missing": device_key_missing(principal),
        **extra,
    }
    return page(request, "wallet.html", context, status=status)


@router.get("/wallet")
def wallet_page(request: Request, db: FlashDbDep, principal: SignedInDep) -> Response:
    flash = take_flash(request, db, "withdrawal")
    notice = (flash or {}).get("notice")
    user = principal.signed_in_user()
    extra = commission_context(
        request, db, user, notice=notice if isinstance(notice, str) else None
    )
    return clear_flash(request, wallet_response(request, db, principal, extra))

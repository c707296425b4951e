"""The wallet page: balances per currency, the ledger history, how to top up."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaycode.deps import ReadDbDep
from relaycode.payments import repository as ledger_repo
from relaycode.payments import wallet
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page
from relaycode.web.session import SignedInDep, device_key_missing

router = APIRouter()


@router.get("/wallet")
def wallet_page(request: Request, db: ReadDbDep, principal: SignedInDep) -> Response:
    user = principal.signed_in_user()
    accounts = wallet.balances(db, user.id)
    history = ledger_repo.history(db, accounts, cursor=cursor_of(request), limit=PAGE_SIZE)
    context = {
        "user": user,
        "accounts": accounts,
        "entries": history.items,
        "entries_pager": pager(request, history, anchor="history-h"),
        "device_key_missing": device_key_missing(principal),
    }
    return page(request, "wallet.html", context)

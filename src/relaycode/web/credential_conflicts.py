"""The issuer's page of offline redemption conflicts (docs/credentials.md, "Offline
redemptions"): a bill redeemed twice while stations were offline, or redeemed offline
around its revocation or endorsement. Both sides, with their stations and times, so the
issuer can settle them; it only reads (the API is GET /merchants/{id}/redemption-conflicts).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaycode.credentials import repository as repo
from relaycode.credentials.offline_endpoints import conflicts_out
from relaycode.deps import ReadDbDep
from relaycode.web.dashboard import EditorPage
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page
from relaycode.web.session import SignedInDep

router = APIRouter()


def conflicts_path(slug: str) -> str:
    return f"/dashboard/m/{slug}/redemption-conflicts"


@router.get("/dashboard/m/{slug}/redemption-conflicts")
def conflicts_page(
    request: Request, merchant: EditorPage, db: ReadDbDep, principal: SignedInDep
) -> Response:
    found = repo.conflicts_page(db, merchant.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    context = {
        "user": principal.user,
        "merchant": merchant,
        "conflicts": conflicts_out(db, found.items),
        "conflicts_pager": pager(request, found, anchor="conflicts-h"),
    }
    return page(request, "credential_conflicts.html", context)

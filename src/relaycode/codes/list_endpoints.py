"""HTTP for an offer's codes in bulk: list a page (and search), withdraw many, export CSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from relaycode.codes import listing, service
from relaycode.codes import repository as repo
from relaycode.codes.access import CodesIssuer, CodesReader
from relaycode.codes.schemas import CodeOut, RevokeManyIn, RevokeManyOut
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.state import AppState

router = APIRouter(tags=["codes"])
SearchQuery = Annotated[
    str | None,
    Query(max_length=200, description="A code's text or link, its id, or the start of its id"),
]


@router.get("/offers/{offer_id}/codes")
def list_codes(
    access: CodesReader,
    db: ReadDbDep,
    state: StateDep,
    q: SearchQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[CodeOut]:
    """The offer's codes, newest first, a page at a time; ``q`` searches."""
    offer = access.offer
    page = service.find_codes(db, state.keyring, offer.id, q=q, cursor=cursor, limit=limit)
    items = [service.code_out(state.settings, state.keyring, c) for c in page.items]
    return ListOut(items=items, next_cursor=page.next_cursor)


@router.post("/offers/{offer_id}/codes/revoke")
def revoke_codes(
    data: RevokeManyIn, access: CodesIssuer, db: DbDep, state: StateDep
) -> RevokeManyOut:
    """Withdraw up to 200 codes of this offer in one go: all of them, or none if any id
    is not a code of this offer (404 ``code_not_found``, with the ids)."""
    codes, changed = service.revoke_codes(db, access.offer, data.ids)
    items = [service.code_out(state.settings, state.keyring, c) for c in codes]
    return RevokeManyOut(revoked=changed, items=items)


def _csv_rows(state: AppState, offer_id: int) -> Iterator[bytes]:
    # Its own read-only session: the request's transaction has ended by the time the
    # body streams, and a read-only one never holds SQLite's writer gate.
    session = state.db.readonly_sessionmaker()
    try:
        with session.begin():
            rows = (
                (
                    c.id,
                    service.code_text(state.settings, state.keyring, c),
                    c.status,
                    c.channel,
                    c.depth,
                    c.created_at,
                    c.expires_at,
                )
                for c in repo.all_codes_of_offer(session, offer_id)
            )
            yield from listing.csv_chunks(rows)
    finally:
        session.close()


@router.get(
    "/offers/{offer_id}/codes.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_codes(access: CodesReader, state: StateDep) -> StreamingResponse:
    """Every code of the offer as CSV (streamed, newest first); cells that a spreadsheet
    would read as a formula are prefixed with ``'``."""
    offer = access.offer
    headers = {
        "Content-Disposition": f'attachment; filename="relaycode-offer-{offer.id}-codes.csv"',
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(
        _csv_rows(state, offer.id), media_type="text/csv; charset=utf-8", headers=headers
    )

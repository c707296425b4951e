"""The keyset helper (db/pagination.py) on the real, migrated database: every row once,
in order, even with ties and rows added in between; hostile cursors are a 400."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from relaycode.catalog import service as catalog
from relaycode.catalog.schemas import OfferCreate
from relaycode.codes import repository as repo
from relaycode.codes import service as codes
from relaycode.db.pagination import MAX_LIMIT, BadCursor, encode_cursor, paginate
from relaycode.identity import service as identity
from relaycode.identity.repository import DEVICE_ORDER
from relaycode.identity.schemas import RegisterIn
from relaycode.merchants import service as merchants
from relaycode.models import Code, Device

SAME_TIME = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def _offer_with_codes(app: Any, count: int, *, same_time: bool = False) -> int:
    state = app.state.rc
    with state.db.transaction() as db:
        user = identity.register(
            db, state.passwords, RegisterIn(username="pager", password="password123")
        )
        merchant = merchants.create_merchant(db, user, "pages", "Pages")
        offer = catalog.create_offer(db, merchant, OfferCreate(title="Many", price_minor=1))
        for _ in range(count):
            code = codes.issue_offer_code(db, state.keyring, offer)
            if same_time:
                code.created_at = SAME_TIME  # every one ties on the first order column
        return offer.id


def _walk(app: Any, offer_id: int, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(1000):  # bounded: a cursor that never ends fails the test
        with app.state.rc.db.transaction() as db:
            page = repo.codes_page(db, offer_id, cursor=cursor, limit=limit)
        seen += [c.id for c in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("same_time", [False, True])
def test_every_row_once_in_order(app: Any, same_time: bool) -> None:
    offer_id = _offer_with_codes(app, 257, same_time=same_time)
    seen = _walk(app, offer_id, 50)
    assert len(seen) == 257 and len(set(seen)) == 257
    with app.state.rc.db.transaction() as db:
        rows = db.query(Code).filter(Code.offer_id == offer_id).all()
    expected = [c.id for c in sorted(rows, key=lambda c: (c.created_at, c.id), reverse=True)]
    assert seen == expected


def test_rows_added_between_pages_neither_repeat_nor_skip(app: Any) -> None:
    offer_id = _offer_with_codes(app, 30)
    state = app.state.rc
    with state.db.transaction() as db:
        first = repo.codes_page(db, offer_id, cursor=None, limit=10)
    with state.db.transaction() as db:  # new codes are newer: they belong before page 1
        offer = catalog.get_offer(db, offer_id)
        for _ in range(5):
            codes.issue_offer_code(db, state.keyring, offer)
    rest: list[str] = []
    cursor = first.next_cursor
    while cursor:
        with state.db.transaction() as db:
            page = repo.codes_page(db, offer_id, cursor=cursor, limit=10)
        rest += [c.id for c in page.items]
        cursor = page.next_cursor
    shown = [c.id for c in first.items] + rest
    assert len(shown) == 30 and len(set(shown)) == 30


def test_last_page_has_no_cursor(app: Any) -> None:
    offer_id = _offer_with_codes(app, 10)
    with app.state.rc.db.transaction() as db:
        exact = repo.codes_page(db, offer_id, cursor=None, limit=10)
        empty = repo.codes_page(db, offer_id + 1000, cursor=None, limit=10)
    assert len(exact.items) == 10 and exact.next_cursor is None
    assert empty.items == [] and empty.next_cursor is None


def _b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        "x" * 600,
        _b64("just a string"),
        _b64(["devices", [1]]),  # another list's cursor
        _b64(["codes", [{"t": "2030-01-01T00:00:00+00:00"}]]),  # too short
        _b64(["codes", [5, "ab"]]),  # a number where a time goes
        _b64(["codes", [{"t": "2030-01-01T00:00:00"}, "ab"]]),  # naive time
        _b64(["codes", [{"t": "yesterday"}, "ab"]]),
        _b64(["codes", [{"t": "2030-01-01T00:00:00+00:00"}, 7]]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_bad_cursors_are_refused(app: Any, cursor: str) -> None:
    with app.state.rc.db.transaction() as db, pytest.raises(BadCursor) as info:
        repo.codes_page(db, 1, cursor=cursor, limit=10)
    assert (info.value.status, info.value.code) == (400, "bad_cursor")


def test_bool_is_not_an_id(app: Any) -> None:
    with app.state.rc.db.transaction() as db, pytest.raises(BadCursor):
        paginate(
            db, select(Device), DEVICE_ORDER, cursor=encode_cursor(DEVICE_ORDER, [True]), limit=5
        )


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_limit_is_bounded(app: Any, limit: int) -> None:
    with app.state.rc.db.transaction() as db, pytest.raises(Exception) as info:
        repo.codes_page(db, 1, cursor=None, limit=limit)
    assert getattr(info.value, "code", None) == "bad_limit"

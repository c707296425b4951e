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
from relaycode.catalog.repository import OFFER_ORDER
from relaycode.catalog.schemas import OfferCreate
from relaycode.codes import repository as repo
from relaycode.codes import service as codes
from relaycode.db.pagination import MAX_CURSOR, MAX_LIMIT, BadCursor, encode_cursor, paginate
from relaycode.identity import service as identity
from relaycode.identity.repository import DEVICE_ORDER
from relaycode.identity.schemas import RegisterIn
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants import service as merchants
from relaycode.merchants.repository import API_KEY_ORDER, MEMBER_ORDER, MERCHANT_ORDER
from relaycode.models import Code, Device, Merchant, MerchantApiKey, Offer, User

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


# ---- values no row could hold: refused before they reach the driver ------------------

ORDERS = {
    "offers": (OFFER_ORDER, select(Offer)),
    "devices": (DEVICE_ORDER, select(Device)),
    "codes": (repo.CODE_ORDER, select(Code)),
    "merchants": (MERCHANT_ORDER, select(Merchant)),
    "members": (MEMBER_ORDER, select(User)),
    "api_keys": (API_KEY_ORDER, select(MerchantApiKey)),
}
TIME = {"t": "2030-01-01T00:00:00+00:00"}


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("offers", [2**63]),  # wider than BIGINT: OverflowError in the driver
        ("offers", [-(2**63) - 1]),
        ("offers", [2**31]),  # wider than the INTEGER column: out of range on PostgreSQL
        ("devices", [10**100]),
        ("api_keys", [2**70]),
        ("members", ["a", 2**64]),
        ("merchants", ["a", 10**30]),
        ("merchants", ["\u0000", 1]),  # PostgreSQL refuses NUL in text
        ("merchants", ["\ud800", 1]),  # a lone surrogate has no UTF-8 form
        ("merchants", ["x" * 201, 1]),  # longer than the column
        ("members", ["a\x1b", 1]),
        ("codes", [{"t": "0001-01-01T00:00:00+14:00"}, "a"]),  # before year 1 in UTC
        ("codes", [{"t": "9999-12-31T23:59:59-14:00"}, "a"]),  # after year 9999 in UTC
        ("codes", [TIME, "\u0000"]),
        ("codes", [TIME, "a" * 33]),
        ("codes", [{"t": "2030-01-01T00:00:00+00:00" + " " * 40}, "a"]),
    ],
)
def test_values_no_row_could_hold_are_refused(app: Any, name: str, values: list[Any]) -> None:
    order, stmt = ORDERS[name]
    with app.state.rc.db.transaction() as db, pytest.raises(BadCursor):
        paginate(db, stmt, order, cursor=_b64([name, values]), limit=5)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("offers", [2**31 - 1]),
        ("offers", [-(2**31)]),
        ("codes", [{"t": "0001-01-01T00:00:00+00:00"}, "a"]),
        ("codes", [{"t": "9999-12-31T23:59:59.999999+00:00"}, "f" * 32]),
        ("merchants", ["名" * 200, 2**31 - 1]),
    ],
)
def test_values_at_the_edges_are_accepted(app: Any, name: str, values: list[Any]) -> None:
    order, stmt = ORDERS[name]
    with app.state.rc.db.transaction() as db:
        page = paginate(db, stmt, order, cursor=_b64([name, values]), limit=5)
    assert page.items == []


def test_the_longest_names_still_page(app: Any) -> None:
    """A cursor after a name of 200 four-byte characters is a real one: it must not be
    refused as too long (it was: 512 characters, and \\u escapes)."""
    state = app.state.rc
    with state.db.transaction() as db:
        user = identity.register(
            db, state.passwords, RegisterIn(username="longname", password="password123")
        )
        for i in range(3):
            merchants.create_merchant(db, user, f"emoji-{i}", "😀" * 199 + str(i))
        user_id = user.id
    seen: list[str] = []
    cursor = None
    for _ in range(10):  # bounded
        with state.db.transaction() as db:
            page = merchant_repo.merchants_page(db, user_id, cursor=cursor, limit=1)
        seen += [merchant.slug for merchant, _role in page.items]
        if page.next_cursor is None:
            break
        assert len(page.next_cursor) <= MAX_CURSOR
        cursor = page.next_cursor
    assert seen == ["emoji-0", "emoji-1", "emoji-2"]

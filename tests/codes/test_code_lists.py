"""An offer with hundreds of codes through the API: pages, search, bulk withdrawal, CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register
from sqlalchemy import select

from relaycode.catalog import service as catalog
from relaycode.codes import service as codes
from relaycode.codes.listing import csv_chunks, safe_cell, search_prefix
from relaycode.models import Code

MANY = 253


def _issue_many(app: Any, offer_id: int, count: int, channel: str | None = None) -> list[str]:
    state = app.state.rc
    with state.db.transaction() as db:
        offer = catalog.get_offer(db, offer_id)
        return [
            codes.issue_offer_code(db, state.keyring, offer, channel=channel).id
            for _ in range(count)
        ]


def _all_pages(client: TestClient, path: str, token: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url = f"{path}?limit={limit}"
    for _ in range(100):  # bounded
        r = client.get(url, headers=auth(token))
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        if body["next_cursor"] is None:
            return items
        url = f"{path}?limit={limit}&cursor={body['next_cursor']}"
    raise AssertionError("no last page")


@pytest.fixture
def shop(client: TestClient, app: Any) -> dict[str, Any]:
    token = register(client)
    offer = merchant_with_offer(client, token)
    ids = _issue_many(app, offer["id"], MANY, channel="-poster")
    return {"token": token, "offer_id": offer["id"], "ids": ids}


def test_all_codes_reachable_page_by_page(client: TestClient, shop: dict[str, Any]) -> None:
    path = f"/api/v1/offers/{shop['offer_id']}/codes"
    first = client.get(path, headers=auth(shop["token"])).json()
    assert len(first["items"]) == 50 and first["next_cursor"]  # not 200, not silently cut
    items = _all_pages(client, path, shop["token"], 200)
    assert sorted(i["id"] for i in items) == sorted(shop["ids"])
    times = [i["created_at"] for i in items]
    assert times == sorted(times, reverse=True)  # newest first
    assert all(i["text"] and i["status"] == "active" for i in items)  # the fields stay


@pytest.mark.parametrize(
    ("query", "code"),
    [("limit=0", "invalid_input"), ("limit=201", "invalid_input"), ("cursor=zzz", "bad_cursor")],
)
def test_bad_page_requests(client: TestClient, shop: dict[str, Any], query: str, code: str) -> None:
    r = client.get(f"/api/v1/offers/{shop['offer_id']}/codes?{query}", headers=auth(shop["token"]))
    assert r.status_code in (400, 422) and r.json()["error"]["code"] == code


def test_search_by_text_id_or_prefix(client: TestClient, shop: dict[str, Any], app: Any) -> None:
    path = f"/api/v1/offers/{shop['offer_id']}/codes"
    target = shop["ids"][100]
    with app.state.rc.db.transaction() as db:
        code = db.get(Code, target)
        assert code is not None
        text = codes.code_text(app.state.rc.settings, app.state.rc.keyring, code)
    assert text is not None
    for q in (text, text.lower(), text.rsplit("/", 1)[-1], target, target.upper(), target[:12]):
        r = client.get(path, params={"q": q}, headers=auth(shop["token"]))
        assert [i["id"] for i in r.json()["items"]] == [target], q
    forged = text[:-3] + ("AAA" if not text.endswith("AAA") else "BBB")
    for q in (forged, "no such thing", "%", "zz"):
        r = client.get(path, params={"q": q}, headers=auth(shop["token"]))
        assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}, q


def test_search_prefix_is_pure() -> None:
    assert search_prefix("  AB12 ", lambda _kid: None) == "ab12"
    assert search_prefix("ab_%", lambda _kid: None) is None  # LIKE wildcards name nothing


def test_bulk_withdraw_all_or_none(client: TestClient, shop: dict[str, Any], app: Any) -> None:
    path = f"/api/v1/offers/{shop['offer_id']}/codes/revoke"
    token = shop["token"]
    other = merchant_with_offer(client, token, slug="other")
    (foreign,) = _issue_many(app, other["id"], 1)
    chosen = shop["ids"][:5]
    r = client.post(path, json={"ids": [*chosen, foreign]}, headers=auth(token))
    assert r.status_code == 404 and r.json()["error"]["code"] == "code_not_found"
    assert r.json()["error"]["details"]["ids"] == [foreign]
    assert _statuses(app, chosen) == {"active"}  # nothing half-done

    r = client.post(path, json={"ids": [c.upper() for c in chosen]}, headers=auth(token))
    assert r.status_code == 200 and r.json()["revoked"] == 5
    assert {i["status"] for i in r.json()["items"]} == {"revoked"}
    assert _statuses(app, chosen) == {"revoked"}
    again = client.post(path, json={"ids": chosen[:2]}, headers=auth(token))
    assert again.status_code == 200 and again.json()["revoked"] == 0  # harmless twice
    assert _statuses(app, shop["ids"][5:]) == {"active"}


@pytest.mark.parametrize(
    "body", [{}, {"ids": []}, {"ids": ["xyz"]}, {"ids": ["a" * 32] * 201}, {"ids": "a" * 32}]
)
def test_bulk_withdraw_validates(client: TestClient, shop: dict[str, Any], body: Any) -> None:
    path = f"/api/v1/offers/{shop['offer_id']}/codes/revoke"
    r = client.post(path, json=body, headers=auth(shop["token"]))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"


def test_bulk_withdraw_needs_the_right(client: TestClient, shop: dict[str, Any]) -> None:
    path = f"/api/v1/offers/{shop['offer_id']}/codes/revoke"
    body = {"ids": shop["ids"][:1]}
    stranger = register(client, "mallory")
    assert client.post(path, json=body, headers=auth(stranger)).status_code == 403
    assert client.post(path, json=body).status_code == 401
    r = client.post(
        "/api/v1/merchants/shop/api-keys",
        json={"name": "reader", "scopes": ["offers:read"]},
        headers=auth(shop["token"]),
    )
    reader = r.json()["key"]
    assert client.post(path, json=body, headers=auth(reader)).status_code == 403
    assert client.get(path.rsplit("/", 1)[0], headers=auth(reader)).status_code == 200


def _statuses(app: Any, ids: list[str]) -> set[str]:
    with app.state.rc.db.transaction() as db:
        return set(db.scalars(select(Code.status).where(Code.id.in_(ids))))


def test_csv_export_has_every_code(client: TestClient, shop: dict[str, Any], app: Any) -> None:
    path = f"/api/v1/offers/{shop['offer_id']}/codes.csv"
    with client.stream("GET", path, headers=auth(shop["token"])) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert r.headers["content-disposition"].startswith("attachment")
        assert "content-length" not in r.headers  # streamed, not built in memory
        body = b"".join(r.iter_bytes()).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["id", "text", "status", "channel", "depth", "created_at", "expires_at"]
    assert len(rows) == MANY + 1
    assert sorted(r[0] for r in rows[1:]) == sorted(shop["ids"])
    assert {r[3] for r in rows[1:]} == {"'-poster"}  # would be a formula in a spreadsheet
    assert all(r[1].startswith("HTTPS://RC.TEST/C/") for r in rows[1:])
    assert client.get(path).status_code == 401
    assert client.get(path, headers=auth(register(client, "eve"))).status_code == 403


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ('quote " and, comma', 'quote " and, comma'),
        (None, ""),
        (3, "3"),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_csv_quotes_properly() -> None:
    out = b"".join(csv_chunks([("a", 'say "hi", ok', "=1+1", None, 0, "x\ny", "")]))
    rows = list(csv.reader(io.StringIO(out.decode())))
    assert rows[1] == ["a", 'say "hi", ok', "'=1+1", "", "0", "x\ny", ""]

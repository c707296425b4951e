"""Bulk issuance with hostile bodies: JSON nested deeper than the parser goes, CSV with a
BOM, Latin-1, formula cells and ragged rows. A 4xx with a code, or the items; never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth


@pytest.fixture
def world(client: TestClient) -> World:
    return make_world(client)


def _bulk(client: TestClient, world: World, tid: int, body: bytes, kind: str) -> Any:
    url = f"/api/v1/credential-templates/{tid}/items/bulk"
    return client.post(url, content=body, headers={**auth(world.owner), "Content-Type": kind})


@pytest.mark.parametrize(
    "body", [b"[" * 200_000, b'{"rows":' * 100_000, b'{"rows": [' + b"[" * 100_000 + b"]}"]
)
def test_json_nested_too_deep(client: TestClient, world: World, body: bytes) -> None:
    r = _bulk(client, world, world.template(client), body, "application/json")
    assert r.status_code == 422, (r.status_code, r.text[:200])
    assert r.json()["error"]["code"] == "invalid_input"


def test_csv_bom_latin1_formulas_and_ragged_rows(client: TestClient, world: World) -> None:
    tid = world.template(client)
    bom = '\ufeffholder,amount,drawer\nalice,100,=HYPERLINK("x")\n'.encode()
    r = _bulk(client, world, tid, bom, "text/csv")
    assert r.status_code == 201, r.text
    # A formula is text like any other in a field; no CSV export shows item fields.
    assert r.json()["items"][0]["fields"]["drawer"] == '=HYPERLINK("x")'
    latin = "holder,amount,drawer\nalice,100,Caf\xe9\n".encode("latin-1")
    r = _bulk(client, world, tid, latin, "text/csv")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    ragged = b"holder,amount,drawer\nalice,100\n"
    r = _bulk(client, world, tid, ragged, "text/csv")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_csv"
    huge_cell = b"holder,amount,drawer\nalice,100," + b"x" * 200_000 + b"\n"
    r = _bulk(client, world, tid, huge_cell, "text/csv")
    assert 400 <= r.status_code < 500, r.text[:200]

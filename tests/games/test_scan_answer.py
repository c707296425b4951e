"""A combining game's part of the scan answer: serialised as ``ScanOut`` would, and read
the same by every reader of the scan path (ORM, raw DB-API, asyncio on PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import BACKEND
from fastapi.testclient import TestClient
from game_support import WATER, player, share, water_game
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import to_json

from relaycode.codes.answers import answer_doc
from relaycode.codes.classify import Classification
from relaycode.codes.keys import Keyring
from relaycode.codes.repository import CodeRow, OfferRow, ResolveRow
from relaycode.codes.schemas import ScanOut
from relaycode.codes.tokens import OnlineToken, encode_token
from relaycode.config import Settings
from relaycode.db.raw import SqlReader
from relaycode.games.repository import CHAIN

SETTINGS = Settings(public_url="https://rc.test", data_dir=Path("/nonexistent"))
_RING: list[Keyring] = []


def _ring() -> Keyring:
    if not _RING:
        import tempfile

        _RING.append(Keyring.for_data_dir(Path(tempfile.mkdtemp())))
    return _RING[0]


@given(moves=st.lists(st.sampled_from(["O", "H", "C", "X"]), max_size=12), hints=st.booleans())
def test_the_game_part_serialises_as_scan_out_would(moves: list[str], hints: bool) -> None:
    ring = _ring()
    kid, secret = ring.active_hmac()
    cid = bytes(range(16))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    code = CodeRow(cid.hex(), "share", 1, "ab" * 16, 7, 3, None, "active", kid, 1, now, None)
    offer = OfferRow(1, 1, "Water", "", None, 0, "CNY", None, None, [], None, "active", None,
                     None, kind="combine", game={**WATER, "hints": hints})  # fmt: skip
    token = OnlineToken(1, kid, cid, body=encode_token(kid, secret, cid))
    row = ResolveRow(code, offer, "M", None, moves=tuple(moves))
    doc, _ = answer_doc(Classification("ours", token=token), row, SETTINGS, ring, "x", now)
    model = ScanOut.model_validate(doc)
    assert to_json(doc) == model.model_dump_json().encode()
    assert doc["game"] is not None
    assert sum(doc["game"]["composition"].values()) == len(moves)


def test_every_reader_reads_the_same_chain(client: TestClient, app: Any) -> None:
    world = water_game(client)
    o = player(client, world, "olga", "O")
    h = player(client, world, "hugo", "H")
    code = share(client, h, share(client, o, world["root"]))
    args = {"code_id": client.post("/api/v1/scan", json={"text": code}).json()["code"]["id"]}
    state = app.state.rc
    with state.db.readonly_sessionmaker() as session:
        orm = SqlReader(session).first(CHAIN, args)
    raw = state.db.read_raw(lambda r: r.first(CHAIN, args))
    assert orm is not None and sorted(orm) == ["H", "O"] and raw == orm
    assert state.db.read_raw(lambda r: r.first(CHAIN, {"code_id": "00" * 16})) == ()
    if BACKEND != "postgresql":
        return
    reader = state.async_reader

    async def read() -> Any:
        try:
            return await reader.first(CHAIN, args)
        finally:
            await reader.close()

    assert asyncio.run(read()) == orm

"""The hot-path readers return the same typed rows: through the ORM, raw DB-API (SQLite and
psycopg), and asyncio (psycopg's pool, with and without coalescing) on PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from conftest import BACKEND
from fastapi.testclient import TestClient
from helpers import issue, merchant_with_offer, register
from sqlalchemy import update

from relaycode.codes.lookup import CoalescingCodeLookup
from relaycode.codes.repository import BY_GTIN, RESOLVE, CodeRow, GtinRow, OfferRow, ResolveRow
from relaycode.db.base import utcnow
from relaycode.db.raw import SqlReader
from relaycode.models import Code, Offer


def _setup(client: TestClient, app: Any) -> tuple[str, str]:
    owner = register(client)
    offer = merchant_with_offer(
        client,
        owner,
        gtin="6901234567892",
        description="Loose leaf, 250 g",
        category="tea",
        region="CN-33",
        payment_methods=["wallet", "cash"],
        web_link="https://shop.example/tea",
        valid_from="2020-01-01T00:00:00Z",
        valid_until="2099-01-01T08:30:00.123456Z",
    )
    text = issue(client, owner, offer["id"], channel="poster")
    code_id = client.post("/api/v1/scan", json={"text": text}).json()["code"]["id"]
    with app.state.rc.db.transaction() as db:
        when = datetime(2098, 5, 6, 7, 8, 9, 10, tzinfo=UTC)
        db.execute(update(Code).where(Code.id == code_id).values(expires_at=when))
        db.execute(update(Offer).values(image_path="offer-1-abc.jpg"))
    return code_id, "06901234567892"


def test_raw_orm_and_async_readers_agree(client: TestClient, app: Any) -> None:
    state = app.state.rc
    code_id, gtin = _setup(client, app)
    args = {"code_id": code_id}
    with state.db.readonly_sessionmaker() as session:
        orm = SqlReader(session).first(RESOLVE, args)
        orm_gtin = SqlReader(session).first(BY_GTIN, {"gtin": gtin, "now": utcnow()})
        model = session.get(Code, code_id)
        offer_model = session.get(Offer, model.offer_id if model else None)
    raw = state.db.read_raw(lambda r: r.first(RESOLVE, args))
    raw_gtin = state.db.read_raw(lambda r: r.first(BY_GTIN, {"gtin": gtin, "now": utcnow()}))
    assert isinstance(orm, ResolveRow) and isinstance(orm_gtin, GtinRow)
    assert raw == orm and raw_gtin == orm_gtin
    assert orm.offer is not None and orm_gtin.offer == orm.offer
    # The same values the ORM models hold, with the types the rows declare.
    assert model is not None and offer_model is not None
    for f in fields(CodeRow):
        assert getattr(orm.code, f.name) == getattr(model, f.name), f.name
    for f in fields(OfferRow):
        assert getattr(orm.offer, f.name) == getattr(offer_model, f.name), f.name
    assert orm.offer.payment_methods == ["wallet", "cash"] and orm.merchant_name == "Shop"
    assert orm.code.expires_at == datetime(2098, 5, 6, 7, 8, 9, 10, tzinfo=UTC)
    assert orm.offer.valid_until is not None and orm.offer.valid_until.tzinfo is not None
    if BACKEND != "postgresql":
        return
    reader = state.async_reader
    batches: list[list[str]] = []

    class Counting:
        async def first(self, query: Any, values: Any) -> Any:
            raise AssertionError("the coalescer reads batches only")

        async def all(self, query: Any, values: Any) -> list[Any]:
            batches.append(list(values["code_ids"]))
            return await reader.all(query, values)

    lookup = CoalescingCodeLookup(Counting())

    async def read() -> tuple[Any, Any, list[Any]]:
        try:
            one = await reader.first(RESOLVE, args)
            by_gtin = await reader.first(BY_GTIN, {"gtin": gtin, "now": utcnow()})
            # Concurrent lookups, coalesced into one ANY() query; a missing id gets None.
            many = await asyncio.gather(*(lookup.get(i) for i in (code_id, "00" * 16, code_id)))
            return one, by_gtin, many
        finally:
            await reader.close()

    one, by_gtin, many = asyncio.run(read())
    assert one == orm and by_gtin == orm_gtin
    assert many == [orm, None, orm]
    assert len(batches) == 1 and sorted(batches[0]) == sorted([code_id, "00" * 16])

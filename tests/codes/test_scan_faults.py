"""The scan hot path under faults: a held write lock, connections killed under it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import BACKEND
from fastapi.testclient import TestClient
from helpers import issue, merchant_with_offer, register


def _scan(client: TestClient, text: str) -> dict[str, Any]:
    r = client.post("/api/v1/scan", json={"text": text})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's single-writer lock")
def test_scans_resolve_while_another_process_holds_the_write_lock(
    client: TestClient, database_url: str
) -> None:
    token = register(client)
    text = issue(client, token, merchant_with_offer(client, token)["id"])
    other = sa.create_engine(database_url, connect_args={"isolation_level": None})
    with other.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # e.g. the CLI printing a sheet
        conn.exec_driver_sql("UPDATE offers SET title = 'being edited'")
        # WAL: readers see the last committed state and never wait for the writer.
        assert _scan(client, text)["offer"]["title"] == "Green tea 250 g"
        conn.exec_driver_sql("ROLLBACK")
    other.dispose()


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL connections")
def test_scans_survive_the_server_dropping_their_connections(
    client: TestClient, app: Any, database_url: str
) -> None:
    token = register(client)
    text = issue(client, token, merchant_with_offer(client, token)["id"])
    assert _scan(client, text)["verdict"] == "ours"  # the asyncio pool is now open
    admin = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        killed = conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar_one()
    admin.dispose()
    assert killed >= 1
    # Every pooled connection is dead now; the next scans still answer.
    for _ in range(3):
        assert _scan(client, text)["verdict"] == "ours"


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL asyncio connections")
def test_a_burst_of_first_scans_opens_a_bounded_set_of_connections(app: Any) -> None:
    from relaycode.codes import repository

    reader = app.state.rc.async_reader
    opened: list[int] = []

    async def burst() -> list[Any]:
        try:
            found = await asyncio.gather(
                *(reader.first(repository.RESOLVE, {"code_id": "00" * 16}) for _ in range(20))
            )
            opened.append(reader.connections())
            return found
        finally:
            await reader.close()

    assert asyncio.run(burst()) == [None] * 20
    assert 1 <= opened[0] <= 4  # 20 concurrent reads queue for the lanes, not 20 connections
    assert reader.connections() == 0  # closed

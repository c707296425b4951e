"""Shared fixtures: a real, migrated database (SQLite or PostgreSQL) and the app.

``RELAYCODE_TEST_DATABASE=sqlite`` (default) or ``postgresql``; for PostgreSQL,
``RELAYCODE_TEST_PG_ADMIN_URL`` names a database we may CREATE DATABASE from
(scripts/test.sh finds or starts a server and sets it).
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# No per-example deadline: on a shared 2-core machine under a parallel suite one example
# can take longer than Hypothesis' default 200 ms, and a timed test is a flaky test.
hypothesis_settings.register_profile(
    "relaycode", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("relaycode")

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

from fastapi.testclient import TestClient  # noqa: E402

from relaycode.app import create_app  # noqa: E402
from relaycode.config import Settings  # noqa: E402
from relaycode.db.base import Base  # noqa: E402
from relaycode.db.migrate import upgrade  # noqa: E402

BACKEND = os.environ.get("RELAYCODE_TEST_DATABASE", "sqlite")


def pytest_report_header() -> str:
    return f"relaycode database backend: {BACKEND}"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    admin_url = os.environ.get("RELAYCODE_TEST_PG_ADMIN_URL")
    if not admin_url:
        pytest.exit("RELAYCODE_TEST_DATABASE=postgresql needs RELAYCODE_TEST_PG_ADMIN_URL", 2)
    # Unique per run and per xdist worker: two runs against one server must not collide.
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:8]
    name = f"relaycode_test_{run_id}_{_worker()}"
    admin_url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _truncate(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
        else:
            for t in tables:
                conn.exec_driver_sql(f'DELETE FROM "{t}"')
    engine.dispose()


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "public_url": "https://rc.test",
        # The TestClient speaks plain http: keep cookies sendable (tests/web/test_cookies.py
        # covers the Secure, __Host- default of an https public URL).
        "cookie_secure": False,
        "argon2_memory_kib": 1024,
        "argon2_time_cost": 1,
        # No webhook deliveries in the background: tests that deliver start a worker
        # themselves, to a receiver on loopback (tests/notify); nothing else leaves.
        "webhook_worker": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Iterator[Settings]:
    yield make_settings(tmp_path / "data", database_url)
    _truncate(database_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    application = create_app(settings)
    yield application
    application.state.rc.scans.close()  # stops its writer thread (idempotent)
    application.state.rc.activity.close()
    application.state.rc.db.dispose()


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c

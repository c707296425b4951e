"""Fixtures for the payment tests: a Database on the migrated test database and owners (ledger),
localstripe (tests/stripe_server.py) and settings pointing the Stripe provider at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr
from stripe_server import PUBLISHABLE_KEY, SECRET_KEY, LocalStripe, serve

from relaycode.config import Settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.identity.tokens import new_public_id
from relaycode.models import Merchant, User


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(make_engine(settings.resolved_database_url))
    yield database
    database.dispose()


@pytest.fixture
def make_user(db: Database) -> Callable[[str], int]:
    """``make_user("alice")`` -> the id of a new user (committed)."""

    def make(username: str) -> int:
        with db.transaction() as s:
            user = User(username=username, pseudonym=new_public_id())
            s.add(user)
            s.flush()
            return user.id

    return make


@pytest.fixture
def make_merchant(db: Database) -> Callable[[str], int]:
    def make(slug: str) -> int:
        with db.transaction() as s:
            merchant = Merchant(slug=slug, name=slug.title())
            s.add(merchant)
            s.flush()
            return merchant.id

    return make


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    yield from serve(tmp_path_factory)


@pytest.fixture
def stripe_settings(settings: Settings, localstripe: LocalStripe) -> Settings:
    return settings.model_copy(
        update={
            "stripe_secret_key": SecretStr(SECRET_KEY),
            "stripe_publishable_key": PUBLISHABLE_KEY,
            "stripe_api_base": localstripe.url,
            "stripe_max_network_retries": 0,
        }
    )

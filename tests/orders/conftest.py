"""localstripe and settings pointing Stripe at it, for the card-order tests (as in
tests/payments/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from stripe_server import PUBLISHABLE_KEY, SECRET_KEY, LocalStripe, serve

from relaycode.config import Settings


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

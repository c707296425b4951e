"""Which provider takes which method, per merchant; Stripe off until configured."""

from __future__ import annotations

import pytest

from relaycode.app import create_app
from relaycode.backends import BackendError
from relaycode.config import Settings
from relaycode.errors import AppError
from relaycode.payments.registry import PaymentProviders
from relaycode.payments.stripe_provider import StripeProvider


def test_stripe_is_unavailable_until_configured(settings: Settings) -> None:
    providers = PaymentProviders.from_settings(settings)
    assert providers.methods("shop") == ["wallet"]  # the wallet needs no configuration
    for ask in (lambda: providers.for_merchant("shop", "card"), lambda: providers.named("stripe")):
        with pytest.raises(AppError) as exc:
            ask()
        assert (exc.value.status, exc.value.code) == (503, "provider_unavailable")
        assert "RELAYCODE_STRIPE_SECRET_KEY" in exc.value.message
    with pytest.raises(AppError) as exc:
        providers.for_merchant("shop", "alipay")
    assert exc.value.code == "provider_unavailable"


def test_configured_stripe_takes_cards(stripe_settings: Settings) -> None:
    providers = PaymentProviders.from_settings(stripe_settings)
    card = providers.for_merchant("shop", "card")
    assert isinstance(card, StripeProvider)
    assert providers.for_merchant(None, "card") is card is providers.named("stripe")
    assert card.js_url == f"{stripe_settings.stripe_api_base}/js.stripe.com/v3/"
    assert providers.methods(None) == ["card", "wallet"]


def test_a_merchant_of_its_own(stripe_settings: Settings) -> None:
    own = stripe_settings.model_copy(
        update={"payment_providers": {}, "payment_merchant_providers": {"shop": {"card": "stripe"}}}
    )
    providers = PaymentProviders.from_settings(own)
    assert isinstance(providers.for_merchant("shop", "card"), StripeProvider)
    assert providers.methods("shop") == ["card"] and providers.methods("other") == []
    with pytest.raises(AppError):
        providers.for_merchant("other", "card")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("paypal", "unknown payment provider backend"),
        ("relaycode.nothing:Here", "cannot be imported"),
        ("relaycode.media:LocalMediaStore", "does not provide PaymentProvider"),
    ],
)
def test_a_wrong_setting_stops_the_server(settings: Settings, name: str, says: str) -> None:
    wrong = settings.model_copy(update={"payment_providers": {"card": name}})
    with pytest.raises(BackendError, match=says):
        create_app(wrong)

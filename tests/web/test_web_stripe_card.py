"""The card step in a real browser: stripe-card.js loads (localstripe's) Stripe.js under
the card-step CSP, confirms the PaymentIntent, and the webhook settles the attempt.

localstripe's stand-in for Stripe.js ignores the card typed into its fake element and only
plays the 3-D Secure step of an intent already confirmed with a 3-D Secure test card, so
the intent is prepared that way first (docs/payments.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse
from live import live_app
from payment_helpers import WEBHOOK, attempt, provider, secret, start, wait_for
from pydantic import SecretStr
from stripe_server import PUBLISHABLE_KEY, SECRET_KEY, LocalStripe, serve

from relaycode.config import Settings
from relaycode.payments.attempts import StartedPayment
from relaycode.payments.card_step import card_step, card_step_csp
from relaycode.payments.provider import BuyerAction
from relaycode.web import i18n
from relaycode.web.render import env, static_url

pytestmark = pytest.mark.browser
PAGE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">
<link rel="stylesheet" href="{{ static('app.css') }}"></head><body><main>
{% from "payments_card.html" import card_form %}{{ card_form(step, t, static) }}
</main></body></html>"""


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    yield from serve(tmp_path_factory)


def _card_page(app: Any, started: StartedPayment) -> None:
    step = card_step(provider(app), started)
    assert step is not None

    async def show(request: Request) -> HTMLResponse:
        lang = i18n.pick_lang(request)
        html = env.from_string(PAGE).render(
            step=step, t=i18n.Translator(lang), static=static_url, lang=lang
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": card_step_csp(step.js_url)})

    app.add_api_route("/test/card", show, methods=["GET"], include_in_schema=False)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_paying_by_card_in_the_browser(
    settings: Settings, localstripe: LocalStripe, launch_chromium: Any, tmp_path: Any, lang: str
) -> None:
    stripe_settings = settings.model_copy(
        update={
            "stripe_secret_key": SecretStr(SECRET_KEY),
            "stripe_publishable_key": PUBLISHABLE_KEY,
            "stripe_api_base": localstripe.url,
        }
    )
    with live_app(stripe_settings) as (url, app):
        localstripe.deliver_webhooks_to(url + WEBHOOK, secret(app))
        attempt_id = start(app, f"order-browser-{lang}")
        made = attempt(app, attempt_id)
        assert made.provider_ref is not None
        client = localstripe.client()
        three_d = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {
                    "number": "4000002500003155",
                    "exp_month": 12,
                    "exp_year": 2034,
                    "cvc": "123",
                },
            }
        )
        intent = localstripe.pay(made.provider_ref, three_d.id)
        assert intent.status == "requires_action"
        _card_page(
            app, StartedPayment(made, BuyerAction("client_secret", intent.client_secret), False)
        )

        browser = launch_chromium()
        page = browser.new_page(locale=lang)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}/test/card?lang={lang}")
        page.wait_for_selector("[data-card-field] input", timeout=15_000)  # Stripe.js mounted
        button = page.locator("[data-card-submit]")
        assert button.is_enabled()
        page.screenshot(path=str(tmp_path / f"card-{lang}.png"), full_page=True)
        button.click()
        page.get_by_role("button", name="Complete authentication").click(timeout=15_000)
        page.wait_for_selector('[data-card-message][data-state="paid"]', timeout=15_000)
        message = page.locator("[data-card-message]").inner_text()
        assert message == i18n.Translator(lang)("cardpay.paid")
        page.screenshot(path=str(tmp_path / f"card-{lang}-paid.png"), full_page=True)
        wait_for(lambda: attempt(app, attempt_id).status == "succeeded")
        assert not [p for p in problems if "Content Security Policy" in p], problems

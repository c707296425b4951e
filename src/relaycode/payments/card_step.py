"""The card step of a checkout page: what ``web/static/stripe-card.js`` needs, and the CSP.

Stripe.js is the one script relaycode loads from elsewhere (Stripe forbids serving it
ourselves), so a page with the card step replaces the default Content-Security-Policy
(web/security.py) with ``card_step_csp``: Stripe's script, its iframes and its API are
allowed, nothing else changes. With ``RELAYCODE_STRIPE_API_BASE`` (localstripe) the
stand-in script and the API are that origin instead. Set it on the response before
``render.finish`` (which only adds headers that are missing). docs/payments.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from relaycode.payments.attempts import StartedPayment
from relaycode.payments.provider import PaymentProvider, ProviderUnavailable
from relaycode.payments.stripe_provider import STRIPE_JS, StripeProvider
from relaycode.urls import whatwg
from relaycode.web.security import CSP

_STRIPE = {
    "script-src": ("https://js.stripe.com",),
    "frame-src": ("https://js.stripe.com", "https://hooks.stripe.com"),
    "connect-src": ("https://api.stripe.com",),
}


@dataclass(frozen=True)
class CardStep:
    """Rendered as the ``data-*`` attributes of the card form (templates/payments_card.html)."""

    attempt_id: str
    publishable_key: str
    client_secret: str
    js_url: str


def card_step(provider: PaymentProvider, started: StartedPayment) -> CardStep | None:
    """The card step for a started Stripe payment; None when the buyer has nothing to do
    (settled already, or another provider)."""
    if not isinstance(provider, StripeProvider) or started.action.kind != "client_secret":
        return None
    if not provider.publishable_key or not started.action.value:
        raise ProviderUnavailable("Stripe's publishable key is not configured")
    return CardStep(
        attempt_id=started.attempt.id,
        publishable_key=provider.publishable_key,
        client_secret=started.action.value,
        js_url=provider.js_url,
    )


def _origin(url: str) -> str:
    parsed = whatwg.parse(url)
    if parsed is None or parsed.protocol not in ("http:", "https:"):
        raise ValueError(f"not a web URL: {url!r}")
    return f"{parsed.protocol}//{parsed.host}"


def card_step_csp(js_url: str = STRIPE_JS) -> str:
    """The default CSP plus what Stripe.js (or localstripe's stand-in) needs."""
    extra = _STRIPE if js_url == STRIPE_JS else dict.fromkeys(_STRIPE, (_origin(js_url),))
    directives: list[str] = []
    seen: set[str] = set()
    for directive in CSP.split("; "):
        name = directive.split(" ", 1)[0]
        seen.add(name)
        directives.append(" ".join([directive, *extra.get(name, ())]))
    for name, sources in extra.items():
        if name not in seen:
            directives.append(" ".join([name, *sources]))
    return "; ".join(directives)

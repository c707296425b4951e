"""The card step's CSP: the default plus Stripe's origins, nothing else."""

from __future__ import annotations

import pytest

from relaycode.payments.card_step import card_step_csp
from relaycode.web.security import CSP


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in csp.split("; ")}


def test_stripe_js_from_js_stripe_com() -> None:
    got, default = _directives(card_step_csp()), _directives(CSP)
    assert got["script-src"] == ["'self'", "https://js.stripe.com"]
    assert got["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert got["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    for name in set(default) - {"script-src", "connect-src"}:
        assert got[name] == default[name], name  # frame-ancestors 'none' and the rest stay


def test_localstripe_is_its_own_origin() -> None:
    got = _directives(card_step_csp("http://127.0.0.1:8420/js.stripe.com/v3/"))
    assert got["script-src"] == ["'self'", "http://127.0.0.1:8420"]
    assert got["frame-src"] == ["http://127.0.0.1:8420"]
    with pytest.raises(ValueError):
        card_step_csp("javascript:alert(1)")

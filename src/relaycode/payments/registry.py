"""Which provider takes which payment method, for every merchant or for one.

``RELAYCODE_PAYMENT_PROVIDERS`` maps a payment method (the offer's ``payment_methods``:
card, wallet, alipay, wechat ...) to a backend: a built-in name or ``module:Class``
(docs/backends.md). ``RELAYCODE_PAYMENT_MERCHANT_PROVIDERS`` overrides that per merchant
slug. Each backend is built once, at startup; a provider that is not configured (Stripe
without its secret key) leaves its methods unavailable, and asking for them is a 503
``provider_unavailable``, while a setting that names nothing usable stops the server.
"""

from __future__ import annotations

from collections.abc import Mapping

from relaycode import backends
from relaycode.config import Settings
from relaycode.payments.provider import PaymentProvider, ProviderUnavailable
from relaycode.payments.stripe_provider import NotConfigured

BUILTIN: dict[str, str] = {
    "stripe": "relaycode.payments.stripe_provider:StripeProvider",
    "wallet": "relaycode.payments.wallet_provider:WalletProvider",
}
Loaded = PaymentProvider | str  # a provider, or why it is unavailable


class PaymentProviders:
    def __init__(
        self,
        by_method: Mapping[str, Loaded],
        per_merchant: Mapping[str, Mapping[str, Loaded]] | None = None,
    ) -> None:
        self._by_method = dict(by_method)
        self._per_merchant = {slug: dict(m) for slug, m in (per_merchant or {}).items()}
        self._by_name: dict[str, PaymentProvider] = {}
        self._unavailable: dict[str, str] = {}
        for loaded in self._all():
            if isinstance(loaded, str):
                continue
            other = self._by_name.setdefault(loaded.name, loaded)
            if other is not loaded:
                raise backends.BackendError(f"two payment providers are named {loaded.name!r}")

    def _all(self) -> list[Loaded]:
        found = list(self._by_method.values())
        for methods in self._per_merchant.values():
            found.extend(methods.values())
        return found

    @classmethod
    def from_settings(cls, settings: Settings) -> PaymentProviders:
        built: dict[str, Loaded] = {}  # one instance per backend, shared by its methods

        def build(name: str) -> Loaded:
            if name not in built:
                try:
                    provider = backends.load("payment provider", name, BUILTIN, settings)
                except NotConfigured as exc:
                    built[name] = str(exc)
                    return built[name]
                if not isinstance(provider, PaymentProvider):
                    raise backends.wrong_type("payment provider", name, PaymentProvider)
                built[name] = provider
            return built[name]

        by_method = {method: build(name) for method, name in settings.payment_providers.items()}
        per_merchant = {
            slug: {method: build(name) for method, name in methods.items()}
            for slug, methods in settings.payment_merchant_providers.items()
        }
        providers = cls(by_method, per_merchant)
        for name, loaded in built.items():
            if isinstance(loaded, str):
                providers._unavailable[name] = loaded
        return providers

    def for_merchant(self, merchant_slug: str | None, method: str) -> PaymentProvider:
        """The provider that takes ``method`` for this merchant (None: the platform's own
        payments, such as wallet top-ups), or 503 ``provider_unavailable``."""
        loaded = self._per_merchant.get(merchant_slug or "", {}).get(method)
        if loaded is None:
            loaded = self._by_method.get(method)
        if loaded is None:
            raise ProviderUnavailable(f"no payment provider takes {method!r} here")
        if isinstance(loaded, str):
            raise ProviderUnavailable(loaded)
        return loaded

    def named(self, name: str) -> PaymentProvider:
        """The provider that made an attempt (``payment_attempts.provider``), or 503."""
        provider = self._by_name.get(name)
        if provider is None:
            why = self._unavailable.get(name, f"the payment provider {name!r} is not configured")
            raise ProviderUnavailable(why)
        return provider

    def methods(self, merchant_slug: str | None) -> list[str]:
        """The payment methods this merchant can take now, sorted."""
        merged = {**self._by_method, **self._per_merchant.get(merchant_slug or "", {})}
        return sorted(m for m, loaded in merged.items() if not isinstance(loaded, str))

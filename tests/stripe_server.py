"""localstripe for the payment tests: started once per session on a free loopback port.

Fixtures in tests/payments/conftest.py; this module is importable for the ``LocalStripe``
type and helpers.

``localstripe`` (PyPI, a dev dependency) is a stateful fake of Stripe's API. It is run as
its own process (localstripe_main.py) and waited for, boundedly; it is stopped when the
session ends. ``stripe_settings`` points relaycode's Stripe provider at it, and
``LocalStripe.deliver_webhooks_to`` makes it sign and post its events to a live app.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from relaycode.payments.stripe_provider import EVENTS

LAUNCHER = Path(__file__).with_name("localstripe_main.py")
START_SECONDS = 30.0
SECRET_KEY = "sk_test_relaycode"
PUBLISHABLE_KEY = "pk_test_relaycode"


@dataclass(frozen=True)
class LocalStripe:
    url: str

    def client(self) -> stripe.StripeClient:
        """A client of our own, as a buyer's browser or the Stripe dashboard would act."""
        return stripe.StripeClient(
            SECRET_KEY, base_addresses={"api": self.url}, max_network_retries=0
        )

    def deliver_webhooks_to(self, url: str, secret: str, events: tuple[str, ...] = EVENTS) -> None:
        """localstripe signs every event with ``secret`` and posts it to ``url`` (one
        endpoint at a time: registering again replaces it)."""
        body = {"url": url, "secret": secret, "events": list(events)}
        r = httpx.post(f"{self.url}/_config/webhooks/relaycode", json=body, timeout=10)
        r.raise_for_status()

    def pay(self, payment_intent: str, payment_method: str = "pm_card_visa") -> Any:
        """What Stripe.js does when the buyer submits a card: attach it and confirm."""
        client = self.client()
        client.v1.payment_intents.update(payment_intent, params={"payment_method": payment_method})
        return client.v1.payment_intents.confirm(payment_intent)


def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """Start localstripe, yield it once it answers, stop it afterwards."""
    import socket

    try:
        import localstripe as _  # noqa: F401
    except ImportError:
        pytest.fail("localstripe is missing: install the dev extra (pip install -e '.[dev]')")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(LAUNCHER), str(sock.fileno())],
            pass_fds=[sock.fileno()],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    sock.close()  # the child holds its own copy
    try:
        _wait_until_up(url, proc, log_path)
        yield LocalStripe(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"localstripe exited ({proc.returncode}): {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/js.stripe.com/v3/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"localstripe did not answer within {START_SECONDS:.0f} s")

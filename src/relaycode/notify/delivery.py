"""One HTTP attempt at a webhook message: signed per Standard Webhooks, sent to the
address checked for this attempt (notify/ssrf.py), with a timeout, never redirected.

Headers (https://www.standardwebhooks.com/)::

    webhook-id:        the event id (the same on every attempt and on a replay)
    webhook-timestamp: seconds since the epoch, at this attempt
    webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">  (two, space
                       separated, while a rotated-out secret is still in its grace period)

Signing is the ``standardwebhooks`` library's own ``Webhook.sign``, the same code a
receiver verifies with.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from relaycode.notify.ssrf import (
    AddressRefused,
    BadWebhookUrl,
    Resolver,
    parse_webhook_url,
    pick_address,
)

USER_AGENT = "relaycode-webhooks/1"
EXCERPT_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True)
class Message:
    url: str
    event_id: str
    payload: str
    secrets: tuple[str, ...]  # the current one first


@dataclass(frozen=True)
class Result:
    ok: bool
    status_code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    duration_ms: int = 0


def signature_header(message: Message, at: datetime) -> str:
    return " ".join(Webhook(s).sign(message.event_id, at, message.payload) for s in message.secrets)


def headers_for(message: Message, at: datetime, host: str) -> dict[str, str]:
    return {
        "host": host,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(message, at),
    }


def excerpt(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return _CONTROL.sub(" ", text)[:EXCERPT_CHARS]


def _pinned_url(message: Message, address: str, allow_private: bool) -> tuple[str, str, str]:
    """(URL naming the checked address, Host header, TLS server name)."""
    target = parse_webhook_url(message.url, allow_private=allow_private)
    url = target.url
    rest = url.href[len(f"{url.protocol}//{url.host}") :].split("#", 1)[0] or "/"
    literal = f"[{address}]" if ":" in address else address
    return f"{url.protocol}//{literal}:{target.port}{rest}", url.host, target.host


def attempt(
    message: Message,
    client: httpx.Client,
    *,
    allow_private: bool,
    resolver: Resolver,
) -> Result:
    """Send ``message`` once; never raises for what the network or the receiver does."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = parse_webhook_url(message.url, allow_private=allow_private)
        address = pick_address(target, allow_private=allow_private, resolver=resolver)
        url, host, server_name = _pinned_url(message, address, allow_private)
    except (BadWebhookUrl, AddressRefused) as exc:
        text = exc.message if isinstance(exc, BadWebhookUrl) else str(exc)
        return Result(ok=False, error=f"refused: {text}"[:300], duration_ms=elapsed())
    now = datetime.now(UTC)
    request = client.build_request(
        "POST",
        url,
        content=message.payload.encode(),
        headers=headers_for(message, now, host),
        extensions={"sni_hostname": server_name},
    )
    try:
        response = client.send(request, stream=True)
        try:
            body = b""
            for chunk in response.iter_raw():
                body += chunk
                if len(body) >= EXCERPT_CHARS * 4:
                    break
        finally:
            response.close()
    except httpx.TimeoutException:
        return Result(ok=False, error="timed out", duration_ms=elapsed())
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        return Result(
            ok=False, error=f"{type(exc).__name__}: {reason}"[:300], duration_ms=elapsed()
        )
    return Result(
        ok=200 <= response.status_code < 300,
        status_code=response.status_code,
        excerpt=excerpt(body),
        duration_ms=elapsed(),
    )


def new_client(timeout: float) -> httpx.Client:
    """No proxies from the environment (the request must go to the checked address), no
    redirects (a 3xx is an answer, not an invitation), no kept-alive connections (one
    established for one host name is never reused for another on the same address)."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )

"""Runtime configuration, read from the environment (``RELAYCODE_*``)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from relaycode.urls import whatwg


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELAYCODE_", extra="ignore")

    data_dir: Path = Field(default=Path("./var"))
    database_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    # Extra hosts whose /C/ links we treat as ours (e.g. an old domain after a move).
    host_aliases: list[str] = Field(default_factory=list)
    # Upload limits for decoding and offer images.
    max_upload_bytes: int = 8 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    # Every other request body (JSON API, form pages); see bodylimit.py for the table.
    max_body_bytes: int = 64 * 1024
    # /api/v1/decode: decodes at once (0: one per CPU), the memory they share, and how long
    # one may search an image. Beyond these the answer is 503 decode_busy, or 413.
    decode_concurrency: int = 0
    decode_memory_mb: int = 256
    decode_seconds: float = 1.5
    session_days: int = 30
    # Rate limits, in the `limits` package's notation ("10 per minute; 30 per hour").
    login_attempts_per_minute: int = 10  # wrong passwords, per account and address
    login_failures_per_address: str = "30 per 10 minutes"  # any accounts, one address
    # Per account from addresses it never signed in from: a growing wait, never a lockout
    # of addresses the account has used (see identity/throttle.py).
    login_failures_per_account: str = "10 per minute; 20 per 10 minutes; 30 per hour"
    signups_per_address: str = "10 per hour"
    # Client address: X-Forwarded-For is believed only from these peers (CIDRs).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Swappable backends (docs/backends.md): a built-in name or "package.module:Class".
    redis_url: str | None = None
    ratelimit_backend: str | None = None  # default: "redis" with redis_url, else "memory"
    ratelimit_prefix: str = "relaycode"
    media_backend: str = "local"
    # None: Secure (and __Host- names) exactly when public_url is https (identity/cookies.py).
    cookie_secure: bool | None = None
    # How often devices' "last seen" and API keys' "last used" times are written.
    activity_flush_seconds: float = Field(default=5.0, gt=0)
    # Scan hot path: answer POST /api/v1/scan before routing (codes/scan_lane.py), and keep
    # answers this many seconds at most (codes/answer_cache.py; 0 = no cache). Another
    # instance's revocation or edit reaches this one's scanners within the TTL.
    scan_fast_path: bool = True
    scan_cache_ttl: float = Field(default=2.0, ge=0, le=2)
    # Payments (payments/, docs/payments.md). Which provider takes which payment method:
    # a built-in name ("stripe") or "package.module:Class", for every merchant, and per
    # merchant (by slug) where one differs: {"card": "stripe"}, {"shop": {"card": "..."}}.
    payment_providers: dict[str, str] = Field(
        default_factory=lambda: {"card": "stripe", "wallet": "wallet"}
    )
    payment_merchant_providers: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Stripe: disabled (503 provider_unavailable) while the secret key is unset.
    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str | None = None
    # Another API address (localstripe in tests); Stripe.js is then loaded from it too.
    stripe_api_base: str | None = None
    # Webhook signing secrets, comma-separated (several while one is rolled). Unset: the
    # ones kept in <data_dir>/keys/stripe_webhook.json, made on first run (rotatable).
    stripe_webhook_secret: str | None = None
    stripe_webhook_tolerance: int = Field(default=300, ge=1)  # seconds a signature stays good
    stripe_webhook_max_bytes: int = Field(default=512 * 1024, ge=1024)
    stripe_timeout_seconds: float = Field(default=20.0, gt=0)
    stripe_max_network_retries: int = Field(default=2, ge=0, le=5)
    # Commissions: the operator's hard cap on referral levels paid (merchants choose up to
    # this many). Deeper chains count as pyramid selling in China and elsewhere.
    commission_max_depth: int = Field(default=3, ge=1, le=10)
    # How often the worker loop (serve's thread, `relaycode worker`) releases commissions
    # whose hold period is over (pending -> available).
    commission_release_seconds: float = Field(default=60.0, gt=0, le=86400)
    # argon2id cost; tests lower it, production keeps the library's defaults.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    # Offline redemptions uploaded by a station (docs/credentials.md): at most this many
    # accepted per station, per credential, per clock hour (UTC) of their redeemed_at.
    credential_offline_station_cap: int = Field(default=4, ge=1, le=10_000)
    # Notifications (notify/): live pages over Server-Sent Events.
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)
    sse_max_per_user: int = Field(default=5, ge=1, le=100)  # open streams per account
    sse_max_streams: int = Field(default=2000, ge=1)  # open streams per instance
    sse_max_seconds: float = Field(default=3600.0, gt=0)  # then the browser reconnects
    # Outbound webhooks (docs/webhooks.md). Private, loopback, link-local addresses are
    # refused unless allowed (development and tests only: it opens the door to SSRF).
    webhook_allow_private: bool = False
    webhook_worker: bool = True  # deliver from inside `relaycode serve` (a thread)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_max_attempts: int = Field(default=10, ge=1, le=50)
    webhook_retry_base_seconds: float = Field(default=60.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    # A claimed delivery not reported back within this (a killed worker) is retried.
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhook_concurrency: int = Field(default=4, ge=1, le=64)

    # Phone numbers (docs/phone.md): the region a number without "+<country>" is read in
    # (ISO 3166 alpha-2), where codes go (a built-in name, "file", or "package.module:
    # Class"), and how many codes may be sent per account and per number.
    default_phone_region: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    sms_backend: str = "file"
    phone_codes_per_user: str = "5 per hour"
    phone_codes_per_number: str = "3 per 10 minutes; 10 per day"

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_web_url(cls, value: str) -> str:
        url = whatwg.parse(value)
        if url is None or url.protocol not in ("http:", "https:"):
            raise ValueError("must be an http:// or https:// URL, e.g. https://rc.example.com")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, v: Any) -> Any:
        # "10.0.0.0/8, 192.168.1.5" from the environment; JSON lists work too.
        if isinstance(v, str):
            v = v.strip()
            if v.startswith("["):
                return json.loads(v)
            return [part.strip() for part in v.split(",") if part.strip()]
        return v

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'relaycode.sqlite3').resolve()}"

    @property
    def public_host(self) -> str:
        """Host (with port when not default) that codes are written for, uppercase."""
        return _base(self.public_url)[1]

    @property
    def public_scheme(self) -> str:
        return _base(self.public_url)[0]

    @property
    def our_hosts(self) -> frozenset[str]:
        """Upper-case hosts as a browser writes them (WHATWG), so classify can compare."""
        return _our_hosts(self.public_url, tuple(self.host_aliases))

    def ensure_data_dir(self) -> Path:
        """The data directory, private to its owner (0700): keys and password hashes."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = self.data_dir.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            self.data_dir.chmod(0o700)
        return self.data_dir


@lru_cache(maxsize=8)
def _base(public_url: str) -> tuple[str, str]:
    """(SCHEME, HOST) of the public URL, read as a browser reads it: ``:443`` on https
    is dropped, an IDN becomes its ``xn--`` form, and so on."""
    url = whatwg.parse(public_url)  # validated when the settings were made
    if url is None:
        return "HTTPS", public_url.upper()
    return url.scheme.upper(), url.host.upper()


@lru_cache(maxsize=8)
def _our_hosts(public_url: str, aliases: tuple[str, ...]) -> frozenset[str]:
    scheme, host = _base(public_url)
    return frozenset([host, *(whatwg.canonical_host(scheme, a).upper() for a in aliases)])


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

"""Stripe webhook signing secrets: from the environment, or kept in the data directory.

With real Stripe, Stripe makes the secret when the endpoint is registered (dashboard or
API) and it goes into ``RELAYCODE_STRIPE_WEBHOOK_SECRET``; while Stripe rolls a secret
both the old and the new one sign, so several may be given, comma-separated.

Without that setting, relaycode keeps its own in ``<data_dir>/keys/stripe_webhook.json``
(0600, written like the keyring: privatefile.py, under a file lock), made on first run.
That is the secret to hand to whatever delivers the webhooks when the endpoint is ours
to configure (localstripe, which takes any secret). ``rotate`` makes a new active secret
and keeps the previous one verifying until ``retire_old``; ``relaycode payments
webhook-secret`` does both from the command line.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from relaycode.codes.keyfile import locked
from relaycode.config import Settings
from relaycode.privatefile import write_private_text

PREFIX = "whsec_"
FILE = Path("keys") / "stripe_webhook.json"


class WebhookSecretError(ValueError):
    """The secrets file cannot be used; the message (one line) says why."""


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class WebhookSecrets:
    """The secrets a signature may be made with; the active one first."""

    def __init__(self, *, fixed: tuple[str, ...] = (), path: Path | None = None) -> None:
        if not fixed and path is None:
            raise ValueError("give the secrets or the file that keeps them")
        self._fixed = fixed
        self.path = path
        self._cache: tuple[float, tuple[str, ...]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookSecrets:
        given = settings.stripe_webhook_secret
        if given and given.strip():
            fixed = tuple(s.strip() for s in given.split(",") if s.strip())
            return cls(fixed=fixed)
        found = cls(path=settings.data_dir / FILE)
        found.ensure()
        return found

    @property
    def managed(self) -> bool:
        """True when relaycode keeps (and may rotate) the secrets itself."""
        return not self._fixed

    def all(self) -> tuple[str, ...]:
        """Every secret that verifies, active first; re-read when the file changed."""
        if self._fixed:
            return self._fixed
        assert self.path is not None
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            raise WebhookSecretError(f"the webhook secrets file {self.path} is missing") from None
        if self._cache is None or self._cache[0] != mtime:
            entries = self._read()
            ordered = sorted(entries, key=lambda e: e["status"] != "active")
            self._cache = (mtime, tuple(str(e["secret"]) for e in ordered))
        return self._cache[1]

    def active(self) -> str:
        return self.all()[0]

    def ensure(self) -> None:
        """Make the file with one new secret unless it exists (safe across processes)."""
        assert self.path is not None
        if self.path.exists():
            self._read()  # refuse a spoiled file at startup, not at the first webhook
            return
        with locked(self.path):
            if not self.path.exists():
                self._write([{"secret": new_secret(), "status": "active", "created_at": _now()}])

    def rotate(self) -> str:
        """A new active secret; the previous active one keeps verifying (older ones go)."""
        self._need_file()
        assert self.path is not None
        with locked(self.path):
            entries = self._read()
            previous = [dict(e, status="verify") for e in entries if e["status"] == "active"]
            fresh = {"secret": new_secret(), "status": "active", "created_at": _now()}
            self._write([fresh, *previous])
        return str(fresh["secret"])

    def retire_old(self) -> int:
        """Stop accepting every secret but the active one; how many were dropped."""
        self._need_file()
        assert self.path is not None
        with locked(self.path):
            entries = self._read()
            keep = [e for e in entries if e["status"] == "active"]
            self._write(keep)
        return len(entries) - len(keep)

    def _need_file(self) -> None:
        if self._fixed:
            raise WebhookSecretError(
                "the secrets come from RELAYCODE_STRIPE_WEBHOOK_SECRET: change them there"
            )

    def _read(self) -> list[dict[str, Any]]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            entries = data["secrets"]
            if not isinstance(entries, list) or not entries:
                raise ValueError("no secrets")
            for e in entries:
                if not str(e["secret"]).startswith(PREFIX) or e["status"] not in (
                    "active",
                    "verify",
                ):
                    raise ValueError("an entry is not a whsec_ secret with a status")
            if sum(1 for e in entries if e["status"] == "active") != 1:
                raise ValueError("not exactly one active secret")
        except FileNotFoundError:
            raise WebhookSecretError(f"the webhook secrets file {self.path} is missing") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise WebhookSecretError(
                f"the webhook secrets file {self.path} is not valid ({exc}); "
                f"remove it to make a new secret"
            ) from None
        result: list[dict[str, Any]] = entries
        return result

    def _write(self, entries: list[dict[str, Any]]) -> None:
        assert self.path is not None
        text = json.dumps({"secrets": entries}, indent=2)
        write_private_text(self.path, text, overwrite=True)
        self._cache = None

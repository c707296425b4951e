"""The keyring: HMAC keys for online codes, Ed25519 keys for signed codes.

Keys are generated on first run into ``<data_dir>/keys/keyring.json`` (mode 0600) and
never committed; once the database holds codes, a missing keyring is an error (restore
the backup made with ``relaycode keys export``), never a reason to make new keys.
``rotate`` makes a new active key; older keys keep verifying
("verify" status) until ``retire`` removes them from verification.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from relaycode.codes.keyfile import (
    KeyringError,
    KeyringMissing,
    locked,
    missing_message,
    read_keyring,
    write_private,
)
from relaycode.errors import AppError

__all__ = ["KeyInfo", "Keyring", "KeyringError", "KeyringMissing"]
_log = logging.getLogger("relaycode.keys")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class NoActiveKey(AppError):
    """Codes cannot be issued: the server's fault, not the caller's (hence a 503)."""


@dataclass(frozen=True)
class KeyInfo:
    alg: str
    kid: str
    status: str
    created_at: str
    retired_at: str | None
    public_key: str | None


class Keyring:
    """Loaded keyring; re-reads the file when it changes (a CLI rotation).

    ``may_create`` says whether a missing file may be made anew (a fresh instance); pass a
    callable (asked only when the file is missing) that answers False once the database
    holds codes: then a missing file is a ``KeyringMissing`` error, never new keys.
    Once loaded, the keys stay in memory: a file deleted or spoiled under a running
    server is logged and ignored until a valid one replaces it.
    """

    def __init__(self, path: Path, *, may_create: bool | Callable[[], bool] = True) -> None:
        self.path = path
        self._mtime = 0.0
        self._checked = 0.0
        self._data: dict[str, Any] = {}
        self._hmac: dict[int, bytes] = {}
        self._ensure(may_create)
        self._load()

    @classmethod
    def for_data_dir(
        cls, data_dir: Path, *, may_create: bool | Callable[[], bool] = True
    ) -> Keyring:
        return cls(data_dir / "keys" / "keyring.json", may_create=may_create)

    # -- file handling -----------------------------------------------------------------
    def _ensure(self, may_create: bool | Callable[[], bool]) -> None:
        with locked(self.path):
            if self.path.exists():
                return
            if not (may_create() if callable(may_create) else may_create):
                raise KeyringMissing(missing_message(self.path))
            data: dict[str, Any] = {"hmac": [], "ed25519": []}
            _add_hmac(data)
            _add_ed25519(data)
            self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        write_private(self.path, data, overwrite=True)

    def _load(self) -> None:
        mtime = self.path.stat().st_mtime
        data = read_keyring(self.path)
        self._data, self._mtime = data, mtime
        self._hmac = {
            int(k["kid"]): _unb64(k["secret"]) for k in data["hmac"] if k["status"] != "retired"
        }

    def _read_for_change(self) -> dict[str, Any]:
        try:
            return read_keyring(self.path)
        except KeyringMissing:
            raise KeyringMissing(
                f"the keyring {self.path} is missing: restore it from your backup "
                f"(or 'relaycode keys import FILE') before changing keys"
            ) from None

    def refresh(self, *, max_age: float = 5.0) -> None:
        now = time.monotonic()
        if now - self._checked < max_age:
            return
        self._checked = now
        try:
            mtime = self.path.stat().st_mtime
        except OSError as exc:
            _log.warning("keyring %s unreadable (%s); keeping the keys in memory", self.path, exc)
            return
        if mtime == self._mtime:
            return
        try:
            self._load()
        except (KeyringError, OSError) as exc:
            # Not again until the file changes once more.
            self._mtime = mtime
            _log.error("%s; keeping the keys already in memory", exc)

    # -- lookups --------------------------------------------------------------------------
    def hmac_key(self, kid: int) -> bytes | None:
        key = self._hmac.get(kid)
        if key is None:
            self.refresh(max_age=0.5)  # a key rotated by the CLI since we loaded
            key = self._hmac.get(kid)
        return key

    def active_hmac(self) -> tuple[int, bytes]:
        self.refresh()
        entry = self._active("hmac")
        return int(entry["kid"]), _unb64(entry["secret"])

    def active_ed25519(self) -> tuple[str, Ed25519PrivateKey]:
        self.refresh()
        entry = self._active("ed25519")
        return entry["kid"], Ed25519PrivateKey.from_private_bytes(_unb64(entry["private"]))

    def _active(self, family: str) -> dict[str, Any]:
        entries: list[dict[str, Any]] = self._data[family]
        entry = next((k for k in entries if k["status"] == "active"), None)
        if entry is None:
            # A keyring without a signing key (emptied by hand): say what to do.
            raise NoActiveKey(
                f"the keyring {self.path} has no active {family} key; "
                "restore it from your backup ('relaycode keys import FILE')",
                code="no_active_key",
                status=503,
            )
        return entry

    def export(self, dest: Path, *, force: bool = False) -> None:
        """Copy the keyring file (validated) to ``dest``, mode 0600: a backup to keep safe."""
        with locked(self.path):
            data = self._read_for_change()
        write_private(dest, data, overwrite=force)

    def infos(self) -> list[KeyInfo]:
        out = [
            KeyInfo("HS256", str(k["kid"]), k["status"], k["created_at"], k.get("retired_at"), None)
            for k in self._data["hmac"]
        ]
        out += [
            KeyInfo(
                "EdDSA", k["kid"], k["status"], k["created_at"], k.get("retired_at"), k["public"]
            )
            for k in self._data["ed25519"]
        ]
        return out

    def trust_list(self) -> list[dict[str, Any]]:
        """Public Ed25519 keys that verify signed codes, with validity windows."""
        return [
            {
                "kid": k["kid"],
                "alg": "EdDSA",
                "crv": "Ed25519",
                "x": k["public"],
                "status": k["status"],
                "not_before": k["created_at"],
                "not_after": k.get("not_after"),
            }
            for k in self._data["ed25519"]
            if k["status"] != "retired"
        ]

    def ed25519_generation(self) -> int:
        """Grows with every rotation and retirement: the trust list's ``version``."""
        entries = self._data["ed25519"]
        return len(entries) + sum(1 for k in entries if k["status"] == "retired")

    # -- changes (CLI) ----------------------------------------------------------------------
    def rotate(self, *, verify_days: int = 365) -> None:
        with locked(self.path):
            data = self._read_for_change()
            until = (datetime.now(UTC) + timedelta(days=verify_days)).isoformat(timespec="seconds")
            for family in ("hmac", "ed25519"):
                for k in data[family]:
                    if k["status"] == "active":
                        k["status"] = "verify"
                        k["not_after"] = until
            _add_hmac(data)
            _add_ed25519(data)
            self._write(data)
        self._load()

    def retire(self, kid: str) -> bool:
        with locked(self.path):
            data = self._read_for_change()
            found = False
            for family in ("hmac", "ed25519"):
                for k in data[family]:
                    if str(k["kid"]) == kid and k["status"] == "verify":
                        k["status"], k["retired_at"], found = "retired", _now(), True
            if found:
                self._write(data)
        self._load()
        return found


def _add_hmac(data: dict[str, Any]) -> None:
    used = {int(k["kid"]) for k in data["hmac"] if k["status"] != "retired"}
    # One byte in the token: reuse the lowest id no live key holds.
    kid = next(i for i in range(1, 256) if i not in used)
    data["hmac"] = [k for k in data["hmac"] if int(k["kid"]) != kid]
    data["hmac"].append(
        {
            "kid": kid,
            "secret": _b64(secrets.token_bytes(32)),
            "status": "active",
            "created_at": _now(),
        }
    )


def _add_ed25519(data: dict[str, Any]) -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    data["ed25519"].append(
        {
            "kid": _b64(secrets.token_bytes(6)),
            "private": _b64(private),
            "public": _b64(public),
            "status": "active",
            "created_at": _now(),
        }
    )

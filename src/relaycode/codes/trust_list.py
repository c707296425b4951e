"""The trust list: the public Ed25519 keys that verify signed credentials (formats 3 and 4).

Published at ``GET /api/v1/trust-list`` and read back by offline verifiers (the
``relaycode verify --offline`` CLI, a station), so verification needs nothing but this
list and a clock. Each key is a JWK (``kty`` OKP, ``crv`` Ed25519, ``x`` base64url) that is
also a COSE_Key (kty 1, crv 6, x = -2, kid = 2 as the UTF-8 bytes of ``kid``).

Keys are scoped to their issuer: a verifier may hold several lists (one per instance,
``TrustList.combine``); a credential whose key belongs to another issuer than the one
the verifier expects is ``wrong_issuer``, never accepted. Retired keys are not listed,
so what they signed is ``unknown_key``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cwt import COSEKey
from cwt.cose_key_interface import COSEKeyInterface

from relaycode.codes import ed25519

__all__ = ["TrustKey", "TrustList", "TrustListError"]

FORMAT = "relaycode-trust-list/1"
MAX_KEYS = 64


class TrustListError(ValueError):
    """A trust list that cannot be used as given (bad JSON, a key that is not Ed25519…)."""


class _KeySource(Protocol):
    def refresh(self, *, max_age: float = ...) -> None: ...

    def trust_list(self) -> list[dict[str, Any]]: ...

    def ed25519_generation(self) -> int: ...


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not isinstance(text, str) or not text.isascii() or "=" in text:
        raise TrustListError("x is not base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TrustListError("x is not base64url text") from None


def _epoch(value: Any, name: str) -> int | None:
    """ISO 8601 (as the keyring writes) or None → unix seconds."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TrustListError(f"{name} is not an ISO 8601 time")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise TrustListError(f"{name} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise TrustListError(f"{name} has no time zone")
    return int(when.timestamp())


@dataclass(frozen=True)
class TrustKey:
    kid: str
    x: bytes
    issuer: str
    status: str  # "active" (signs now) or "verify" (still accepted)
    not_before: str | None
    not_after: str | None
    nbf: int | None = field(repr=False, default=None)
    exp: int | None = field(repr=False, default=None)
    cose: COSEKeyInterface = field(repr=False, compare=False, default=None)  # type: ignore[assignment]
    # Parsed once: a verification must not rebuild the key object (credential_token).
    public: ed25519.VerifyKey = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    @classmethod
    def make(
        cls,
        kid: str,
        x: bytes,
        issuer: str,
        status: str,
        not_before: str | None,
        not_after: str | None,
    ) -> TrustKey:
        if not isinstance(kid, str) or not 1 <= len(kid.encode()) <= 16:
            raise TrustListError("kid is not a string of 1 to 16 bytes")
        if len(x) != 32:
            raise TrustListError(f"key {kid!r}: x is {len(x)} bytes, not 32")
        if status not in ("active", "verify"):
            raise TrustListError(f"key {kid!r}: status {status!r} is neither active nor verify")
        try:
            cose = COSEKey.new({1: 1, -1: 6, -2: x, 3: -8, 2: kid.encode()})
        except Exception as exc:  # the library's own errors vary; all mean "not a key"
            raise TrustListError(f"key {kid!r}: not an Ed25519 public key ({exc})") from None
        return cls(
            kid,
            x,
            issuer,
            status,
            not_before,
            not_after,
            _epoch(not_before, "not_before"),
            _epoch(not_after, "not_after"),
            cose,
            ed25519.public_key(x),
        )

    def valid_at(self, now: int, *, skew: int = 0) -> bool:
        return (self.nbf is None or self.nbf <= now + skew) and (
            self.exp is None or now - skew <= self.exp
        )

    def jwk(self) -> dict[str, Any]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": self.kid,
            "x": _b64(self.x),
            "status": self.status,
            "not_before": self.not_before,
            "not_after": self.not_after,
        }


@dataclass(frozen=True)
class TrustList:
    """Keys by kid. ``issuer`` is the instance's public URL; ``hosts`` the upper-case hosts
    its ``/V/`` and ``/P/`` links are written for (public host first, then aliases)."""

    issuer: str
    hosts: tuple[str, ...]
    version: int
    keys: Mapping[str, TrustKey]

    @classmethod
    def from_keyring(cls, keyring: _KeySource, *, issuer: str, hosts: Iterable[str]) -> TrustList:
        keys = [
            TrustKey.make(
                k["kid"], _unb64(k["x"]), issuer, k["status"], k["not_before"], k["not_after"]
            )
            for k in keyring.trust_list()
        ]
        return cls(issuer, tuple(hosts), keyring.ed25519_generation(), {k.kid: k for k in keys})

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> TrustList:
        """Read a list as ``GET /api/v1/trust-list`` answers it; ``TrustListError`` if not."""
        try:
            doc = json.loads(data) if isinstance(data, (str, bytes)) else data
        except (ValueError, RecursionError):
            raise TrustListError("the trust list is not JSON") from None
        if not isinstance(doc, Mapping):
            raise TrustListError("the trust list is not a JSON object")
        issuer, hosts, version, entries = (
            doc.get("issuer"),
            doc.get("hosts", []),
            doc.get("version", 0),
            doc.get("keys"),
        )
        if not isinstance(issuer, str) or not issuer:
            raise TrustListError("the trust list names no issuer")
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise TrustListError("hosts is not a list of strings")
        if type(version) is not int or version < 0:
            raise TrustListError("version is not a non-negative integer")
        if not isinstance(entries, list) or len(entries) > MAX_KEYS:
            raise TrustListError(f"keys is not a list of at most {MAX_KEYS} keys")
        keys: dict[str, TrustKey] = {}
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise TrustListError("a key is not a JSON object")
            if (entry.get("kty"), entry.get("crv")) != ("OKP", "Ed25519"):
                raise TrustListError("a key is not an OKP Ed25519 key")
            key = TrustKey.make(
                entry.get("kid"),  # type: ignore[arg-type]  # checked by make
                _unb64(entry.get("x")),  # type: ignore[arg-type]
                issuer,
                entry.get("status", "verify"),
                entry.get("not_before"),
                entry.get("not_after"),
            )
            if key.kid in keys:
                raise TrustListError(f"key {key.kid!r} is listed twice")
            keys[key.kid] = key
        return cls(issuer, tuple(h.upper() for h in hosts), version, keys)

    @classmethod
    def combine(cls, lists: Iterable[TrustList]) -> TrustList:
        """One list holding the keys of several issuers (each key keeps its own issuer),
        for a verifier that knows more than one instance. The first list names the result."""
        items = list(lists)
        if not items:
            raise TrustListError("no trust list to combine")
        keys: dict[str, TrustKey] = {}
        for t in items:
            for kid, key in t.keys.items():
                keys.setdefault(kid, key)  # a kid is random; the first list wins a clash
        hosts = tuple(dict.fromkeys(h for t in items for h in t.hosts))
        return cls(items[0].issuer, hosts, items[0].version, keys)

    def key(self, kid: str) -> TrustKey | None:
        return self.keys.get(kid)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "issuer": self.issuer,
            "hosts": list(self.hosts),
            "version": self.version,
            "keys": [k.jwk() for k in self.keys.values()],
        }

    def etag(self) -> str:
        body = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


class _Instance(Protocol):
    @property
    def public_url(self) -> str: ...

    @property
    def public_host(self) -> str: ...

    @property
    def our_hosts(self) -> frozenset[str]: ...


_last: tuple[tuple[str, tuple[str, ...], int, str], TrustList] | None = None


def instance_trust_list(settings: _Instance, keyring: _KeySource) -> TrustList:
    """This instance's list: issuer = its public URL, hosts = its public host then aliases.

    Rebuilt only when the keyring's keys change (one entry cached), so the server can ask
    for it on every verification."""
    global _last
    keyring.refresh()
    hosts = (settings.public_host, *sorted(settings.our_hosts - {settings.public_host}))
    entries = json.dumps(keyring.trust_list(), sort_keys=True)
    key = (settings.public_url, hosts, keyring.ed25519_generation(), entries)
    if _last is None or _last[0] != key:
        _last = (key, TrustList.from_keyring(keyring, issuer=settings.public_url, hosts=hosts))
    return _last[1]

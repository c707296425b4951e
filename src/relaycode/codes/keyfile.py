"""The keyring file on disk: strict parsing, and the backups made by ``keys export/import``.

The keyring is the root of trust: every printed code carries a tag made with one of its
HMAC keys. Losing it, or quietly replacing it, turns every code on paper into a forgery,
so everything here refuses loudly (one line, ``KeyringError``) instead of guessing.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from relaycode.privatefile import PrivateFileError, write_private_text

STATUSES = ("active", "verify", "retired")


class KeyringError(Exception):
    """The keyring cannot be used as it is; the message (one line) says what to do."""


class KeyringMissing(KeyringError):
    """No keyring file where the database says there must be one."""


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def missing_message(path: Path) -> str:
    return (
        f"the keyring {path} is missing, but the database holds codes signed with it: "
        f"restore that file from your backup, or run 'relaycode keys import FILE' "
        f"(new keys would make every printed code scan as forged)"
    )


def read_keyring(path: Path) -> dict[str, Any]:
    """The validated contents of the keyring file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyringMissing(f"no keyring file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyringError(f"cannot read the keyring {path}: {_why(exc)}") from None
    return parse_keyring(text, path)


def parse_keyring(text: str, path: Path) -> dict[str, Any]:
    try:
        data = json.loads(text)
        _check(data)
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise KeyringError(
            f"the keyring {path} is not valid ({_why(exc)}); restore it from your backup"
        ) from None
    result: dict[str, Any] = data
    return result


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at line {exc.lineno}"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


def _key_bytes(entry: dict[str, Any], field: str, family: str) -> bytes:
    value = entry[field]
    if not isinstance(value, str):
        raise TypeError(f"{family} key {entry.get('kid')!r}: {field} is not a string")
    raw = unb64(value)
    if len(raw) != 32:
        raise ValueError(f"{family} key {entry.get('kid')!r}: {field} is {len(raw)} bytes, not 32")
    return raw


def _check_common(entry: Any, family: str) -> None:
    if not isinstance(entry, dict):
        raise TypeError(f"a {family} entry is not an object")
    if entry["status"] not in STATUSES:
        raise ValueError(f"{family} key {entry.get('kid')!r}: unknown status {entry['status']!r}")
    if not isinstance(entry["created_at"], str):
        raise TypeError(f"{family} key {entry.get('kid')!r}: created_at is not a string")


def _check(data: Any) -> None:
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    for family in ("hmac", "ed25519"):
        if not isinstance(data[family], list):
            raise TypeError(f"{family!r} is not a list")
    live: set[int] = set()
    for entry in data["hmac"]:
        _check_common(entry, "hmac")
        kid = entry["kid"]
        if type(kid) is not int or not 1 <= kid <= 255:
            raise ValueError(f"hmac key id {kid!r} is not a number from 1 to 255")
        _key_bytes(entry, "secret", "hmac")
        if entry["status"] != "retired":
            if kid in live:
                raise ValueError(f"hmac key id {kid} is used twice")
            live.add(kid)
    for entry in data["ed25519"]:
        _check_common(entry, "ed25519")
        if not isinstance(entry["kid"], str) or not entry["kid"]:
            raise ValueError("an ed25519 key id is not a non-empty string")
        private = Ed25519PrivateKey.from_private_bytes(_key_bytes(entry, "private", "ed25519"))
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        if _key_bytes(entry, "public", "ed25519") != public:
            raise ValueError(f"ed25519 key {entry['kid']!r}: public key does not match private")
    for family in ("hmac", "ed25519"):
        # Exactly one signing key per family: with none, nothing could be issued (the
        # file would load and every issue would fail); with two, which one signs?
        active = sum(1 for k in data[family] if k["status"] == "active")
        if active != 1:
            raise ValueError(f"{'no' if active == 0 else 'more than one'} active {family} key")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Exclusive lock on ``<path>.lock``: one writer of the keyring at a time, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def write_private(path: Path, data: dict[str, Any], *, overwrite: bool) -> None:
    """Write ``data`` as JSON readable by its owner only (0600), atomically; never through
    a planted file or link (privatefile.py)."""
    try:
        write_private_text(path, json.dumps(data, indent=2), overwrite=overwrite)
    except PrivateFileError as exc:
        raise KeyringError(str(exc)) from None


def describe(data: dict[str, Any]) -> str:
    """``HMAC 1, 2; Ed25519 abc`` — the live key ids, for messages."""
    hmac = ", ".join(str(k["kid"]) for k in data["hmac"] if k["status"] != "retired")
    ed = ", ".join(str(k["kid"]) for k in data["ed25519"] if k["status"] != "retired")
    return f"HMAC {hmac or '-'}; Ed25519 {ed or '-'}"


def _hmac_secrets(data: dict[str, Any] | None) -> dict[int, str]:
    live = (k for k in (data or {}).get("hmac", []) if k["status"] != "retired")
    return {int(k["kid"]): str(k["secret"]) for k in live}


def _lost(
    new: dict[str, Any], old: dict[str, Any] | None, codes_by_kid: Mapping[int, int]
) -> str | None:
    """What importing ``new`` would do to the codes in the database, if harm: the HMAC
    keys their tags were made with that ``new`` lacks (or holds with another secret than
    the keyring it replaces; ids are one byte and every keyring starts at 1)."""
    new_keys, old_keys = _hmac_secrets(new), _hmac_secrets(old)
    lost = {
        kid: count
        for kid, count in sorted(codes_by_kid.items())
        if kid not in new_keys or old_keys.get(kid, new_keys[kid]) != new_keys[kid]
    }
    if not lost:
        return None
    kids = ", ".join(str(kid) for kid in lost)
    total = sum(lost.values())
    return (
        f"{total} code{'s' if total != 1 else ''} in the database were made with HMAC key "
        f"{kids}, which this keyring does not hold (or holds with another secret): "
        f"they would scan as forged"
    )


def import_keyring(
    target: Path, source: Path, *, force: bool, codes_by_kid: Mapping[int, int] | None = None
) -> str:
    """Install the keyring in ``source`` at ``target``; return what happened, in words.

    Import *replaces*: HMAC key ids are one byte, so two keyrings made independently
    both use id 1 and cannot be merged. A different keyring already in place is only
    replaced with ``force``, and is then kept beside it as ``keyring.json.replaced-<time>``.
    ``codes_by_kid`` (how many codes the database holds per HMAC key id) guards the
    printed codes: a keyring that cannot verify some of them is refused unless ``force``,
    and then the answer says how many codes it gave up.
    """
    new = read_keyring(source)
    with locked(target):
        return _install(target, new, force=force, codes_by_kid=codes_by_kid or {})


def _install(
    target: Path, new: dict[str, Any], *, force: bool, codes_by_kid: Mapping[int, int]
) -> str:
    old: dict[str, Any] | None = None
    if target.exists():
        try:
            old = read_keyring(target)
        except KeyringError:
            old = None
        if old == new:
            return f"{target} already holds these keys ({describe(new)})"
        if not force:
            what = f"different keys ({describe(old)})" if old else "an unreadable keyring"
            raise KeyringError(
                f"{target} already holds {what}; re-run with --force to replace it "
                f"(the current file is then kept beside it)"
            )
    harm = _lost(new, old, codes_by_kid)
    if harm and not force:
        raise KeyringError(f"{harm}; import the backup that holds it, or re-run with --force")
    warning = f"\nwarning: {harm}" if harm else ""
    if old is None and not target.exists():
        write_private(target, new, overwrite=False)
        return f"installed {target} ({describe(new)})" + warning
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = target.with_name(f"{target.name}.replaced-{stamp}")
    shutil.copy2(target, kept)  # keeps the 0600 mode; then an atomic swap
    write_private(target, new, overwrite=True)
    return f"replaced {target} ({describe(new)}); the previous file is kept as {kept}" + warning

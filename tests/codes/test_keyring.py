"""The keyring file: never silently replaced, strict on load, steady under a running server."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from relaycode.codes.keyfile import KeyringError, KeyringMissing, import_keyring
from relaycode.codes.keys import Keyring


def _ring(tmp_path: Path) -> Keyring:
    return Keyring(tmp_path / "keys" / "keyring.json")


def _data(ring: Keyring) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ring.path.read_text())
    return loaded


def test_missing_keyring_is_made_only_when_allowed(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "keyring.json"
    with pytest.raises(KeyringMissing) as err:
        Keyring(path, may_create=lambda: False)
    message = str(err.value)
    assert str(path) in message and "relaycode keys import FILE" in message
    assert "\n" not in message and not path.exists()
    ring = Keyring(path, may_create=lambda: True)
    assert ring.active_hmac()[0] == 1 and stat.S_IMODE(path.stat().st_mode) == 0o600
    # An existing file is simply loaded: the question is not even asked.
    Keyring(path, may_create=lambda: pytest.fail("asked although the file exists"))


def _spoil(data: dict[str, Any], how: str) -> str:
    if how == "not json":
        return "{not json"
    if how == "not an object":
        return "[]"
    if how == "hmac not a list":
        data["hmac"] = {"kid": 1}
    elif how == "kid is text":
        data["hmac"][0]["kid"] = "1"
    elif how == "kid out of range":
        data["hmac"][0]["kid"] = 256
    elif how == "short secret":
        data["hmac"][0]["secret"] = "AAAA"
    elif how == "secret not base64":
        data["hmac"][0]["secret"] = "!!!*"
    elif how == "missing field":
        del data["ed25519"][0]["private"]
    elif how == "public mismatch":
        data["ed25519"][0]["public"] = "A" * 43
    elif how == "unknown status":
        data["hmac"][0]["status"] = "on"
    elif how == "two active":
        data["hmac"].append({**data["hmac"][0], "kid": 2})
    elif how == "no active hmac":
        data["hmac"][0]["status"] = "verify"
    elif how == "no active ed25519":
        data["ed25519"][0]["status"] = "retired"
    elif how == "no keys at all":
        data = {"hmac": [], "ed25519": []}
    return json.dumps(data)


SPOILS = [
    "not json",
    "not an object",
    "hmac not a list",
    "kid is text",
    "kid out of range",
    "short secret",
    "secret not base64",
    "missing field",
    "public mismatch",
    "unknown status",
    "two active",
    "no active hmac",  # loaded, then every issue failed
    "no active ed25519",
    "no keys at all",  # {"hmac": [], "ed25519": []}
]


@pytest.mark.parametrize("how", SPOILS)
def test_corrupt_keyring_is_one_line_error(tmp_path: Path, how: str) -> None:
    ring = _ring(tmp_path)
    ring.path.write_text(_spoil(_data(ring), how))
    with pytest.raises(KeyringError) as err:
        _ring(tmp_path)
    message = str(err.value)
    assert str(ring.path) in message and "not valid" in message and "\n" not in message


def test_running_keyring_keeps_its_keys_when_the_file_goes(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    kid, secret = ring.active_hmac()
    ring.path.unlink()
    ring.refresh(max_age=0)  # would stat() the missing file
    assert ring.active_hmac() == (kid, secret) and ring.hmac_key(kid) == secret
    assert ring.hmac_key(99) is None  # an unknown key id also re-checks the file
    with pytest.raises(KeyringMissing, match="before changing keys"):
        ring.rotate()
    assert not ring.path.exists()  # rotation made no new file in its place


def test_running_keyring_ignores_a_spoilt_file_until_a_valid_one(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    kid, secret = ring.active_hmac()
    good = ring.path.read_text()
    ring.path.write_text("{truncated")
    ring.refresh(max_age=0)
    assert ring.active_hmac() == (kid, secret)
    with pytest.raises(KeyringError, match="not valid"):
        ring.rotate()
    # A valid keyring written by a CLI rotation elsewhere is picked up.
    ring.path.write_text(good)
    other = _ring(tmp_path / "other")
    other.rotate()
    ring.path.write_text(other.path.read_text())
    ring.refresh(max_age=0)
    assert ring.active_hmac() == other.active_hmac()


def test_export_is_private_and_never_overwrites_by_default(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    dest = tmp_path / "backup.json"
    ring.export(dest)
    assert json.loads(dest.read_text()) == _data(ring)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    with pytest.raises(KeyringError, match="--force"):
        ring.export(dest)
    dest.chmod(0o644)
    ring.rotate()
    ring.export(dest, force=True)
    assert json.loads(dest.read_text()) == _data(ring)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


def test_import_restores_and_refuses_to_replace_silently(tmp_path: Path) -> None:
    ring = _ring(tmp_path / "a")
    backup = tmp_path / "backup.json"
    ring.export(backup)
    target = tmp_path / "b" / "keys" / "keyring.json"
    assert "installed" in import_keyring(target, backup, force=False)
    assert json.loads(target.read_text()) == _data(ring)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "already holds these keys" in import_keyring(target, backup, force=False)

    different = _ring(tmp_path / "c")
    with pytest.raises(KeyringError, match=r"different keys .*--force"):
        import_keyring(target, different.path, force=False)
    assert json.loads(target.read_text()) == _data(ring)  # untouched
    outcome = import_keyring(target, different.path, force=True)
    assert json.loads(target.read_text()) == _data(different)
    kept = list(target.parent.glob("keyring.json.replaced-*"))
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == _data(ring)
    assert str(kept[0]) in outcome and stat.S_IMODE(kept[0].stat().st_mode) == 0o600


def test_import_validates_the_backup(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hmac": [], "ed25519": 3}')
    target = tmp_path / "keys" / "keyring.json"
    with pytest.raises(KeyringError, match="not valid"):
        import_keyring(target, bad, force=True)
    with pytest.raises(KeyringMissing, match="no keyring file"):
        import_keyring(target, tmp_path / "nope.json", force=True)
    assert not target.exists()


def test_import_refuses_a_keyring_without_the_keys_codes_were_made_with(tmp_path: Path) -> None:
    """Restoring the wrong backup would make every printed code scan as forged: refused
    unless forced, and forced it says how many codes it gave up."""
    ring = _ring(tmp_path / "a")
    target = tmp_path / "b" / "keys" / "keyring.json"
    ring.rotate()  # keys 1 (verify) and 2 (active)
    data = _data(ring)
    data["hmac"] = [k for k in data["hmac"] if k["kid"] == 2]
    without_1 = tmp_path / "without-1.json"
    without_1.write_text(json.dumps(data))
    with pytest.raises(KeyringError) as err:
        import_keyring(target, without_1, force=False, codes_by_kid={1: 3, 2: 5})
    message = str(err.value)
    assert "3 codes" in message and "HMAC key 1" in message and "--force" in message
    assert "\n" not in message and not target.exists()
    # What it holds is enough: installed without a word.
    assert "warning" not in import_keyring(target, without_1, force=False, codes_by_kid={2: 5})
    target.unlink()
    outcome = import_keyring(target, without_1, force=True, codes_by_kid={1: 3, 2: 5})
    assert "installed" in outcome and "warning: 3 codes" in outcome


def test_import_counts_a_key_id_with_another_secret_as_lost(tmp_path: Path) -> None:
    """Two keyrings made apart both have HMAC key 1: same id, other secret."""
    ring, other = _ring(tmp_path / "a"), _ring(tmp_path / "c")
    outcome = import_keyring(ring.path, other.path, force=True, codes_by_kid={1: 2})
    assert "replaced" in outcome and "warning: 2 codes" in outcome


# ---- writing private files: never through a planted name ------------------------------


def test_export_never_writes_through_a_planted_temp_file(tmp_path: Path) -> None:
    ring = _ring(tmp_path / "ring")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".bk.json.tmp").symlink_to(victim)  # the name the old code wrote through
    ring.export(out / "bk.json")
    assert victim.read_text() == "precious"
    dest = out / "bk.json"
    assert not dest.is_symlink() and json.loads(dest.read_text()) == _data(ring)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert sorted(p.name for p in out.iterdir()) == [".bk.json.tmp", "bk.json"]


@pytest.mark.parametrize("force", [False, True])
def test_export_refuses_a_link_or_a_directory(tmp_path: Path, force: bool) -> None:
    ring = _ring(tmp_path / "ring")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "link.json").symlink_to(victim)
    (out / "adir").mkdir()
    with pytest.raises(KeyringError, match="symbolic link"):
        ring.export(out / "link.json", force=force)
    with pytest.raises(KeyringError, match="directory"):
        ring.export(out / "adir", force=force)
    assert victim.read_text() == "precious" and (out / "link.json").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == ["adir", "link.json"]  # no temp left
    assert list((out / "adir").iterdir()) == []


def test_a_failed_write_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ring = _ring(tmp_path / "ring")
    out = tmp_path / "out"
    out.mkdir()

    def refuse(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("relaycode.privatefile.os.replace", refuse)
    with pytest.raises(OSError):
        ring.export(out / "bk.json")
    assert list(out.iterdir()) == []

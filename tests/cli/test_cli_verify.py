"""``relaycode verify --offline``: a trust list file (or this instance's keyring) and a
clock are all it needs; exit status 0 valid, 1 invalid with its reason, 2 bad usage."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from relaycode.cli.main import app
from relaycode.codes.credential_claims import CredentialClaims
from relaycode.codes.credential_token import sign_credential, signed_text
from relaycode.codes.keys import Keyring
from relaycode.config import get_settings

DIR = Path(__file__).parents[1] / "vectors" / "credentials"


def vector(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DIR / f"{name}.json").read_text())["input"]
    return doc


def test_verify_offline_with_a_trust_list_file(cli: CliRunner, tmp_path: Path) -> None:
    v = vector("parse-rotating-valid")
    lists = tmp_path / "trust.json"
    lists.write_text(json.dumps(v["trust_lists"][0]))
    args = ["verify", v["text"], "--offline", "--trust-list", str(lists), "--json"]
    good = cli.invoke(app, [*args, "--at", str(v["now"])])
    assert good.exit_code == 0, good.output
    doc = json.loads(good.output)
    assert doc["valid"] and doc["kind"] == "rotating" and doc["window"] == v["now"] // 30
    stale = cli.invoke(app, [*args, "--at", str(v["now"] + 90)])
    assert stale.exit_code == 1 and json.loads(stale.output)["reason"] == "stale_presentation"
    # Online (no --offline): this instance's keys did not sign the vector's credential.
    online = cli.invoke(app, ["verify", v["text"], "--json"])
    assert online.exit_code == 1 and json.loads(online.output)["verdict"] == "invalid"
    lists.write_text("{}")
    assert cli.invoke(app, args).exit_code == 2


def _claims(credential_id: str, now: int) -> CredentialClaims:
    return CredentialClaims(
        credential_id=credential_id, expires_at=now + 60, merchant=1, template=2, kind=1,
        generation=0, holder=bytes(8),
    )  # fmt: skip


def test_verify_offline_with_this_instances_keys(cli: CliRunner) -> None:
    ring = Keyring.for_data_dir(get_settings().data_dir)
    now = int(time.time())
    claims = _claims("ab" * 16, now)
    text = signed_text(sign_credential(claims, keyring=ring, now=now))
    result = cli.invoke(app, ["verify", text, "--offline"])
    assert result.exit_code == 0 and result.output.startswith("valid signed credential abab")
    # The last two base45 characters are the signature's last byte: change it (a byte
    # that is already 0 is "00", so that would be no change once in 256 runs).
    forged = text[:-2] + ("11" if text.endswith("00") else "00")
    result = cli.invoke(app, ["verify", forged, "--offline"])
    assert result.exit_code == 1 and "invalid (" in result.output


def test_offline_trusts_the_address_serve_recorded(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make run PORT=8731` sets no RELAYCODE_PUBLIC_URL: serve records its base URL, and
    # the phone's /V/ link carries that host, so the offline check must trust it too.
    monkeypatch.delenv("RELAYCODE_PUBLIC_URL")
    get_settings.cache_clear()
    data_dir = get_settings().data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "public_url").write_text("http://127.0.0.1:8731\n")
    ring = Keyring.for_data_dir(data_dir)
    now = int(time.time())
    claims = _claims("cd" * 16, now)
    raw = sign_credential(claims, keyring=ring, now=now)
    link = signed_text(raw, "url", host="127.0.0.1:8731", scheme="http")
    result = cli.invoke(app, ["verify", link, "--offline", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["issuer"] == "http://127.0.0.1:8731"

"""``relaycode verify TEXT [--offline] [--json]``: is this presented credential valid?

Online (the default): through the database, any form (reference, signed, rotating) and
also revoked, endorsed, used up, outside its window (cli/credentials.verify_online).
``--offline``: a signed credential (format 3) or rotating presentation (format 4) with
nothing but a trust list and the clock, as a verifier station does with no network.
Either way the JSON has ``verdict`` (valid or invalid) and ``reason``; exit 0 only when
valid."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from relaycode.cli import revocation_lists as lists
from relaycode.cli.common import fail, keyring
from relaycode.cli.credentials import verify_online
from relaycode.cli.serve import settings_for_codes
from relaycode.codes.credential_token import CredentialTokenError, Presented, parse_presented
from relaycode.codes.trust_list import TrustList, TrustListError, instance_trust_list
from relaycode.credentials.offline_forms import is_offline_form


def _trust(files: list[Path]) -> TrustList:
    if not files:
        # The issuer and hosts this instance's codes carry: what serve recorded when
        # RELAYCODE_PUBLIC_URL is unset (make run PORT=…), as the codes commands use.
        return instance_trust_list(settings_for_codes(quiet=True), keyring())
    lists = []
    for path in files:
        try:
            lists.append(TrustList.from_json(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, TrustListError) as exc:
            raise fail(f"trust list {path}: {exc}", 2) from None
    return TrustList.combine(lists)


def _doc(p: Presented) -> dict[str, Any]:
    c = p.claims
    return {
        "verdict": "valid",
        "reason": None,
        "mode": "offline",
        "valid": True,
        "kind": p.kind,
        "credential_id": c.credential_id,
        "kid": p.kid,
        "issuer": p.issuer,
        "expires_at": datetime.fromtimestamp(c.expires_at, UTC).isoformat(),
        "merchant": c.merchant,
        "template": c.template,
        "credential_kind": c.kind,
        "generation": c.generation,
        "holder": c.holder.hex(),
        "value": c.value,
        "device_bound": c.device_thumbprint is not None,
        "window": p.window,
    }


def verify(
    text: Annotated[
        str, typer.Argument(help="The scanned text: CR1:…, CR4:…, or a /V/ or /P/ link")
    ],
    offline: Annotated[bool, typer.Option("--offline", help="Use only the trust list")] = False,
    trust_list: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust-list", help="A trust list JSON (repeatable); default: this instance's"
        ),
    ] = None,
    issuer: Annotated[
        str | None, typer.Option(help="The issuer expected; default: the first list's")
    ] = None,
    revocations: Annotated[
        list[Path] | None,
        typer.Option(
            "--revocations",
            help="A saved GET /api/v1/revocations answer (repeatable); default: this "
            "instance's list when its database is reachable",
        ),
    ] = None,
    at: Annotated[int | None, typer.Option(help="Unix time to verify at; default: now")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Verify a credential text. Exit status 0 when valid, 1 when not (with its reason).

    --offline checks the signature, key, issuer, validity and (format 4) the device proof
    and time window, and the revocation list it was given; whether it was redeemed needs
    the server (the default, online)."""
    if not offline:
        verify_online(text, as_json=as_json)
    if not is_offline_form(text):
        doc: dict[str, Any] = {
            "verdict": "invalid",
            "reason": "online_only",
            "mode": "offline",
            "valid": False,
            "message": "not a signed credential: this code is checked online only",
        }
        _say(doc, as_json)
    trust = _trust(trust_list or [])
    expected = issuer or trust.issuer
    now = int(time.time()) if at is None else at
    try:
        doc = _doc(parse_presented(text, trust=trust, now=now, our_issuer=expected))
        revoked = lists.from_files(revocations) if revocations else lists.from_instance()
        doc["revocation_list"] = "files" if revocations else (
            "instance" if revoked is not None else "none: database unreachable"
        )  # fmt: skip
        if revoked and doc["credential_id"] in revoked:
            doc.update(verdict="invalid", reason="revoked", valid=False)
            doc["message"] = "revoked (by its issuer, or endorsed to someone else)"
    except CredentialTokenError as err:
        doc = {
            "verdict": "invalid",
            "reason": err.reason,
            "mode": "offline",
            "valid": False,
            "message": str(err),
        }
    _say(doc, as_json)


def _say(doc: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(doc))
    elif doc["valid"]:
        typer.echo(f"valid {doc['kind']} credential {doc['credential_id']} (key {doc['kid']})")
    else:
        typer.echo(f"invalid ({doc['reason']}): {doc['message']}")
    raise typer.Exit(0 if doc["valid"] else 1)

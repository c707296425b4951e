"""QR version of each relaycode code kind at ECC L/M/Q/H, against its size budget.

    .venv/bin/python bench/code_size.py [--host HOST] [--json]

The default host is 24 characters, a realistic worst case for a self-hosted instance.
Every code is made by the real encoder; the signed credential (format 3) carries all its
claims at their largest (ids and amounts of 2**32-1, kind and generation 255, a device
binding, a not-before time), and the rotating presentation (format 4) wraps it.
Exit status is 1 when a code misses its budget at M.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from relaycode.codes.credential_claims import CredentialClaims, device_thumbprint
from relaycode.codes.credential_rotating import make_presentation
from relaycode.codes.credential_token import rotating_text, sign_credential, signed_text
from relaycode.codes.render import Ecc, qr_version
from relaycode.codes.share_tokens import encode_share_token, share_url
from relaycode.codes.tokens import code_url, encode_token, new_code_id

DEFAULT_HOST = "RC-PROD.EXAMPLE.COM:8443"  # exactly 24 characters
LEVELS: tuple[Ecc, ...] = ("L", "M", "Q", "H")
QR_ALNUM = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
NOW = 1_790_000_000


class _Signer:
    """A keyring's signing side: an 8-character kid, as ``relaycode keys`` makes them."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = base64.urlsafe_b64encode(secrets.token_bytes(6)).decode()

    def active_ed25519(self) -> tuple[str, Ed25519PrivateKey]:
        return self.kid, self.key


def worst_credential(signer: _Signer | None = None) -> tuple[bytes, bytes]:
    """(credential, presentation) bytes with every claim at its largest."""
    device = Ed25519PrivateKey.generate()
    claims = CredentialClaims(
        credential_id=secrets.token_hex(16),
        expires_at=2**32 - 1,
        not_before=NOW,
        merchant=2**32 - 1,
        template=2**32 - 1,
        kind=255,
        generation=255,
        holder=secrets.token_bytes(8),
        value=2**32 - 1,
        device_thumbprint=device_thumbprint(device.public_key().public_bytes_raw()),
    )
    raw = sign_credential(claims, keyring=signer or _Signer(), now=NOW)
    return raw, make_presentation(raw, device, now=NOW)


@dataclass(frozen=True)
class Kind:
    name: str
    model: str  # how the text is built
    text: str
    budget: int  # maximum QR version at ECC M
    size: int  # bytes encoded

    @property
    def versions(self) -> dict[str, int]:
        return {ecc: qr_version(self.text, ecc) for ecc in LEVELS}


def kinds(host: str) -> list[Kind]:
    offer = code_url("https", host, encode_token(1, secrets.token_bytes(32), new_code_id()))
    # The longest a device id and counter can make it (the length is fixed anyway).
    share_body = encode_share_token(
        255, secrets.token_bytes(32), 2**63 - 1, new_code_id(), 2**32 - 1
    )
    share = share_url("https", host, share_body)
    cred, pres = worst_credential()
    return [
        Kind("offer (online)", "/C/ + base32, encode_token", offer, 4, 26),
        Kind("share (phone)", "/S/ + base32, encode_share_token", share, 5, 38),
        Kind("credential CR1:", "CR1: + base45(COSE_Sign1)", signed_text(cred), 9, len(cred)),
        Kind(
            "credential /V/",
            "/V/ + base32(COSE_Sign1), a link",
            signed_text(cred, "url", host=host),
            10,
            len(cred),
        ),
        Kind(
            "presentation CR4:", "CR4: + base45(presentation)", rotating_text(pres), 12, len(pres)
        ),
        Kind(
            "presentation /P/",
            "/P/ + base32(presentation), a link",
            rotating_text(pres, "url", host=host),
            13,
            len(pres),
        ),
    ]


@dataclass(frozen=True)
class Row:
    kind: str
    model: str
    bytes: int
    chars: int
    L: int
    M: int
    Q: int
    H: int
    budget_at_M: int
    ok: bool


def measure(host: str) -> list[Row]:
    rows = []
    for k in kinds(host):
        v = k.versions
        rows.append(
            Row(k.name, k.model, k.size, len(k.text), v["L"], v["M"], v["Q"], v["H"], k.budget,
                v["M"] <= k.budget)
        )  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--host", default=DEFAULT_HOST, help=f"host[:port] (default {DEFAULT_HOST})")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args(argv)
    host = args.host.upper()
    bad = sorted(set(host) - QR_ALNUM)
    rows = measure(host)
    ok = all(r.ok for r in rows)
    if args.json:
        print(json.dumps({"host": host, "rows": [asdict(r) for r in rows]}, indent=2))
        return 0 if ok else 1
    print(f"host {host!r} ({len(host)} chars)")
    if bad:
        print(f"warning: {bad} are not QR alphanumeric; codes fall back to byte mode")
    head = (
        f"{'kind':<19} {'bytes':>5} {'chars':>5}  {'L':>2} {'M':>2} {'Q':>2} {'H':>2}"
        f"  {'budget@M':>8}  check"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        mark = "PASS" if r.ok else "FAIL"
        print(
            f"{r.kind:<19} {r.bytes:>5} {r.chars:>5}  {r.L:>2} {r.M:>2} {r.Q:>2} {r.H:>2}"
            f"  {'<= v' + str(r.budget_at_M):>8}  {mark}"
        )
    print()
    for r in rows:
        print(f"  {r.kind}: {r.model}")
    print()
    print("every code within its budget at M: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

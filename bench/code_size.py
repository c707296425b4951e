"""QR version of each relaycode code kind at ECC L/M/Q/H, against its size budget.

    .venv/bin/python bench/code_size.py [--host HOST] [--json]

The default host is 24 characters, a realistic worst case for a self-hosted instance.
Exit status is 1 when the online offer code misses its target (version <= 4 at M).
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
from dataclasses import asdict, dataclass

from relaycode.codes.render import Ecc, qr_version
from relaycode.codes.share_tokens import encode_share_token, share_url
from relaycode.codes.tokens import code_url, encode_token, new_code_id

DEFAULT_HOST = "RC-PROD.EXAMPLE.COM:8443"  # exactly 24 characters
LEVELS: tuple[Ecc, ...] = ("L", "M", "Q", "H")
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
QR_ALNUM = set(B45)


def base45(data: bytes) -> str:
    """RFC 9285 base45: 2 bytes -> 3 characters (a trailing byte -> 2 characters)."""
    out = []
    for i in range(0, len(data), 2):
        chunk = data[i : i + 2]
        n = int.from_bytes(chunk, "big")
        digits = 3 if len(chunk) == 2 else 2
        for _ in range(digits):
            n, r = divmod(n, 45)
            out.append(B45[r])
    return "".join(out)


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Kind:
    name: str
    model: str  # how the text is built
    text: str
    budget: int  # maximum QR version at ECC M
    estimate: bool  # not a real format yet

    @property
    def versions(self) -> dict[str, int]:
        return {ecc: qr_version(self.text, ecc) for ecc in LEVELS}


def kinds(host: str) -> list[Kind]:
    base = f"HTTPS://{host}"
    offer = code_url("https", host, encode_token(1, secrets.token_bytes(32), new_code_id()))
    # The longest a device id and counter can make it (the length is fixed anyway).
    share_body = encode_share_token(
        255, secrets.token_bytes(32), 2**63 - 1, new_code_id(), 2**32 - 1
    )
    share = share_url("https", host, share_body)
    credential = f"{base}/V/" + base45(secrets.token_bytes(170))
    presentation = f"{base}/P/" + base45(secrets.token_bytes(170 + 4 + 64))
    return [
        Kind("offer (online)", "/C/ + base32(26 B), real encode_token", offer, 4, False),
        Kind("share (phone)", "/S/ + base32(38 B), real encode_share_token", share, 5, False),
        Kind(
            "credential", "/V/ + base45(170 B); base45 has ' ' (not URL-safe)", credential, 9, True
        ),
        Kind(
            "rotating presentation",
            "/P/ + base45(170 B cred + 4 B time step + 64 B signature), assumed",
            presentation,
            12,
            True,
        ),
    ]


@dataclass(frozen=True)
class Row:
    kind: str
    model: str
    chars: int
    L: int
    M: int
    Q: int
    H: int
    budget_at_M: int
    ok: bool
    estimate: bool


def measure(host: str) -> list[Row]:
    rows = []
    for k in kinds(host):
        v = k.versions
        rows.append(
            Row(k.name, k.model, len(k.text), v["L"], v["M"], v["Q"], v["H"], k.budget,
                v["M"] <= k.budget, k.estimate)
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
    offer = rows[0]
    if args.json:
        print(json.dumps({"host": host, "rows": [asdict(r) for r in rows]}, indent=2))
        return 0 if offer.ok else 1
    print(f"host {host!r} ({len(host)} chars)")
    if bad:
        print(f"warning: {bad} are not QR alphanumeric; codes fall back to byte mode")
    head = f"{'kind':<22} {'chars':>5}  {'L':>2} {'M':>2} {'Q':>2} {'H':>2}  {'budget@M':>8}  check"
    print(head)
    print("-" * len(head))
    for r in rows:
        mark = ("PASS" if r.ok else "FAIL") + (" (estimate)" if r.estimate else "")
        print(
            f"{r.kind:<22} {r.chars:>5}  {r.L:>2} {r.M:>2} {r.Q:>2} {r.H:>2}"
            f"  {'<= v' + str(r.budget_at_M):>8}  {mark}"
        )
    print()
    for r in rows:
        print(f"  {r.kind}: {r.model}")
    print()
    print(
        f"offer code at M: version {offer.M} (target ≤ {offer.budget_at_M}): "
        + ("PASS" if offer.ok else "FAIL")
    )
    return 0 if offer.ok else 1


if __name__ == "__main__":
    sys.exit(main())

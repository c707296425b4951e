"""Offline verifications of signed credentials per second on one core (target ≥ 10,000).

    .venv/bin/python bench/credential_verify.py [--seconds 3]

Each round is the whole offline check of a 170-byte worst-case credential text
(``parse_presented``: base45, structure, key lookup, signature by the ``cwt`` library,
claims, times), and of its rotating presentation (plus the device proof).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from code_size import NOW, _Signer, worst_credential

from relaycode.codes.credential_token import parse_presented, rotating_text, signed_text
from relaycode.codes.trust_list import TrustList

TARGET = 10_000


def rate(text: str, trust: TrustList, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(200):
            parse_presented(text, trust=trust, now=NOW, our_issuer="https://rc.test")
        n += 200
    return n / elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args(argv)
    signer = _Signer()
    cred, pres = worst_credential(signer)
    kid = signer.kid
    x = signer.key.public_key().public_bytes_raw()
    trust = TrustList.from_json(_list(kid, x))
    signed = rate(signed_text(cred), trust, args.seconds)
    rotating = rate(rotating_text(pres), trust, args.seconds)
    print(f"signed credential (CR1:):     {signed:>8,.0f} / s  (target ≥ {TARGET:,})")
    print(f"rotating presentation (CR4:): {rotating:>8,.0f} / s  (two signatures)")
    return 0 if signed >= TARGET else 1


def _list(kid: str, x: bytes) -> dict[str, Any]:
    import base64

    key = base64.urlsafe_b64encode(x).decode().rstrip("=")
    return {"issuer": "https://rc.test", "hosts": ["RC.TEST"], "version": 1,
            "keys": [{"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": key,
                      "status": "active", "not_before": None, "not_after": None}]}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

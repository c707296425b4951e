"""Credential verification: offline checks per second per core, online redeems per second
through the API, and the size of each presentation form.

    .venv/bin/python bench/verify.py [--part offline,online,size] [--db sqlite,postgresql]
        [--seconds 1.0] [--rounds 5] [--wrk-seconds 4] [--wrk-rounds 3] [--connections 16]
        [--credentials 64] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres] [--json]

offline: in-process, one core (this process's one thread): the whole offline check of the
worst-case ``CR1:`` text (code_size.worst_credential: base45, COSE structure, key lookup,
EdDSA, claims, times) and of its rotating ``CR4:`` presentation (plus the device proof),
next to Ed25519 verify alone (libsodium, as the check uses it: codes/ed25519.py; and
OpenSSL through ``cryptography``, for comparison; the same message and signature) and the
base45 decode alone (ours, and the ``base45`` package). Each case runs in batches of
200 calls, rounds alternating the cases; the best batch is the per-core figure (other
processes on a shared machine only ever slow a batch down), the median batch is printed
too. Target: CR1 >= 10,000/s/core.

online: per database, one server (one uvicorn worker) on a fresh database, set up through
its API: a merchant, a verifier, a count-mode template (1,000,000 uses) and
``--credentials`` claimed credentials; wrk drives ``POST /api/v1/redemptions`` with their
reference (and then signed) texts, a random credential and a fresh nonce per request (so
every redeem succeeds, 201), alternating with ``GET /healthz`` (ABBA): redeems/s, p50/p99
and the ratio. Each redeem locks its credential's row, writes a redemption, the new count,
an audit line and the holder's inbox item in one transaction.

size: bytes and QR version at ECC M of each form (bench/code_size.py's functions).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import base45
import cbor2
import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _server import Server
from checkout import _ok, fresh_server, register
from code_size import DEFAULT_HOST, NOW, _Signer, measure, worst_credential
from resolve import DONE_LUA, HELLO_LUA, cpu_seconds, wrk

from relaycode.codes import ed25519
from relaycode.codes.credential_claims import CredentialClaims
from relaycode.codes.credential_text import b45decode
from relaycode.codes.credential_token import (
    _COSE,
    _structure,
    parse_presented,
    rotating_text,
    signed_text,
)
from relaycode.codes.trust_list import TrustList

TARGET = 10_000
ISSUER = "https://rc.test"
REDEEM_LUA = """
local texts = {}
local n = 0
local prefix = "%s"
local token = "%s"
init = function(args)
  for line in io.lines("%s") do texts[#texts + 1] = line end
  prefix = prefix .. "-" .. os.time()
  math.randomseed(os.time())
end
request = function()
  n = n + 1
  local body = '{"text": "' .. texts[math.random(#texts)] .. '", "nonce": "'
    .. prefix .. "-" .. n .. '"}'
  return wrk.format("POST", "/api/v1/redemptions", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
"""


def _rate(fn: Callable[[], object], seconds: float) -> tuple[float, float]:
    """(best, median) calls per second over batches of 200 calls for ``seconds``."""
    batches: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        for _ in range(200):
            fn()
        batches.append(200 / (time.perf_counter() - t0))
    return max(batches), statistics.median(batches)


def offline(seconds: float, rounds: int) -> dict[str, Any]:
    signer = _Signer()
    cred, pres = worst_credential(signer)
    x = signer.key.public_key().public_bytes_raw()
    trust = TrustList.from_json(_trust(signer.kid, x))
    key = trust.keys[signer.kid].public
    openssl = signer.key.public_key()
    _, protected, payload, signature = _structure(cred)
    tbs = cbor2.dumps(["Signature1", protected, b"", payload])
    cr1, cr4 = signed_text(cred), rotating_text(pres)
    body = cr1[4:]
    cases: dict[str, Callable[[], object]] = {
        "ed25519_verify": lambda: ed25519.verifies(key, signature, tbs),
        "ed25519_openssl": lambda: openssl.verify(signature, tbs),
        "cr1": lambda: parse_presented(cr1, trust=trust, now=NOW, our_issuer=ISSUER),
        "cr4": lambda: parse_presented(cr4, trust=trust, now=NOW, our_issuer=ISSUER),
        "cr1_as_on_main": lambda: _as_on_main(cr1, trust),
        "base45_ours": lambda: b45decode(body),
        "base45_package": lambda: base45.b45decode(body),
    }
    best = dict.fromkeys(cases, 0.0)
    medians: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(rounds):
        order = list(cases) if i % 2 == 0 else list(cases)[::-1]
        for name in order:
            top, mid = _rate(cases[name], seconds)
            best[name] = max(best[name], top)
            medians[name].append(mid)
    return {
        "rates": best,
        "median_rates": {name: statistics.median(m) for name, m in medians.items()},
        "cr1_chars": len(cr1),
        "cr4_chars": len(cr4),
        "cr1_bytes": len(cred),
        "cr4_bytes": len(pres),
    }


def _as_on_main(text: str, trust: TrustList) -> CredentialClaims:
    """The CR1 check as main did it before this branch: the ``base45`` package and the
    ``cwt`` library's COSE decode (the other steps are the same code)."""
    raw = base45.b45decode(text[4:])
    kid, _, payload, _ = _structure(raw)
    key = trust.keys[kid]
    _COSE.decode_with_headers(raw, [key.cose])
    claims = CredentialClaims.from_cwt(cbor2.loads(payload))
    claims.check_time(NOW, skew=60)
    return claims


def _trust(kid: str, x: bytes) -> dict[str, Any]:
    key = base64.urlsafe_b64encode(x).decode().rstrip("=")
    return {
        "issuer": ISSUER,
        "hosts": ["RC.TEST"],
        "version": 1,
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "kid": kid,
                "x": key,
                "status": "active",
                "not_before": None,
                "not_after": None,
            }
        ],
    }


def setup(server: Server, n: int) -> tuple[str, dict[str, list[str]]]:
    """A bank, a verifier and ``n`` claimed count-mode credentials: (token, texts by form)."""
    with httpx.Client(base_url=server.url, timeout=60) as c:
        owner = {"Authorization": f"Bearer {register(c, 'benchowner')}"}
        teller = register(c, "benchteller")
        holder = {"Authorization": f"Bearer {register(c, 'benchholder')}"}
        mid = _ok(
            c.post("/api/v1/merchants", json={"slug": "bench", "name": "Bench"}, headers=owner), 201
        )["id"]
        _ok(
            c.put(
                "/api/v1/merchants/bench/members",
                headers=owner,
                json={"username": "benchteller", "role": "verifier"},
            ),
            200,
            201,
        )
        template = {
            "kind": "ticket",
            "name": "Bench pass",
            "use_mode": "count",
            "max_uses": 1_000_000,
            "forms": ["reference", "signed"],
            "fields": [{"key": "seat", "label": "Seat", "type": "text"}],
        }
        tid = _ok(
            c.post(f"/api/v1/merchants/{mid}/credential-templates", json=template, headers=owner),
            201,
        )["id"]
        rows = [{"holder": "benchholder", "fields": {"seat": f"A{i}"}} for i in range(n)]
        items = _ok(
            c.post(
                f"/api/v1/credential-templates/{tid}/items/bulk", json={"rows": rows}, headers=owner
            ),
            201,
        )["items"]
        texts: dict[str, list[str]] = {"reference": [], "signed": []}
        for item in items:
            cid = _ok(c.post("/api/v1/claims", json={"text": item["text"]}, headers=holder), 201)[
                "id"
            ]
            for form in texts:
                got = c.get(f"/api/v1/credentials/{cid}/presentation?form={form}", headers=holder)
                texts[form].append(_ok(got, 200)["text"])
    return teller, texts


def online(backend: str, args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    data_dir, _url, server = fresh_server(backend, args, work)
    out = []
    try:
        token, texts = setup(server, args.credentials)
        hello = data_dir / "hello.lua"
        hello.write_text(HELLO_LUA + DONE_LUA)
        for form, these in texts.items():
            (data_dir / f"{form}.txt").write_text("\n".join(these) + "\n")
            lua = data_dir / f"redeem-{form}.lua"
            lua.write_text(REDEEM_LUA % (form, token, data_dir / f"{form}.txt") + DONE_LUA)
            wrk(server.url, "/healthz", hello, 2, args.connections)  # warm up both
            wrk(server.url, "/", lua, 2, args.connections)
            out.append({"db": backend, "form": form, **_abba(server, hello, lua, args)})
    finally:
        server.stop()
    return out


def _abba(server: Server, hello: Path, lua: Path, args: argparse.Namespace) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {"hello": [], "redeem": []}
    for i in range(args.wrk_rounds):
        for kind in ("hello", "redeem") if i % 2 == 0 else ("redeem", "hello"):
            script, path = (hello, "/healthz") if kind == "hello" else (lua, "/")
            cpu0 = cpu_seconds(server.proc.pid)
            r = wrk(server.url, path, script, args.wrk_seconds, args.connections)
            done = r["rps"] * args.wrk_seconds
            r["cpu_us"] = (cpu_seconds(server.proc.pid) - cpu0) / done * 1e6 if done else 0.0
            runs[kind].append(r)
    ratios = [o["rps"] / h["rps"] for h, o in zip(runs["hello"], runs["redeem"], strict=True)]

    def summary(kind: str) -> dict[str, float]:
        rs = runs[kind]
        s = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99", "cpu_us")}
        s["bad"] = sum(r["errors"] + r["non2xx"] for r in rs)
        return s

    return {
        "hello": summary("hello"),
        "redeem": summary("redeem"),
        "ratio": statistics.median(ratios),
    }


def sizes(host: str) -> list[dict[str, Any]]:
    return [
        {
            "form": r.kind,
            "bytes": r.bytes,
            "chars": r.chars,
            "qr_version_M": r.M,
            "budget_M": r.budget_at_M,
        }
        for r in measure(host)
        if "credential" in r.kind or "presentation" in r.kind
    ]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--part", default="offline,online,size")
    p.add_argument("--db", default="sqlite,postgresql")
    p.add_argument("--seconds", type=float, default=1.0, help="per offline round and case")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--wrk-seconds", type=int, default=4)
    p.add_argument("--wrk-rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--credentials", type=int, default=64)
    p.add_argument("--host", default=DEFAULT_HOST)
    default_pg = os.environ.get(
        "RELAYCODE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    p.add_argument("--pg-url", default=default_pg)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    parts = args.part.split(",")
    report: dict[str, Any] = {"load_average": os.getloadavg(), "cpus": os.cpu_count()}
    if "offline" in parts:
        report["offline"] = offline(args.seconds, args.rounds)
    if "online" in parts:
        if shutil.which("wrk") is None:
            sys.exit("bench/verify.py online needs wrk (Debian: apt-get install wrk)")
        report["online"] = []
        with tempfile.TemporaryDirectory(prefix="rc-bench-verify-") as tmp:
            for backend in args.db.split(","):
                print(f"... {backend}", file=sys.stderr, flush=True)
                report["online"] += online(backend, args, Path(tmp))
    if "size" in parts:
        report["size"] = sizes(args.host.upper())
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0


def _print(report: dict[str, Any]) -> None:
    la = report["load_average"]
    print(f"cpus {report['cpus']}, load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}")
    if "offline" in report:
        r, m = report["offline"]["rates"], report["offline"]["median_rates"]
        print("offline, one core (best batch of 200; median batch in brackets):")
        print(
            f"  Ed25519 verify alone         {r['ed25519_verify']:>9,.0f} /s"
            f"  [{m['ed25519_verify']:,.0f}]  (libsodium, as used)"
        )
        print(
            f"  Ed25519 verify, OpenSSL      {r['ed25519_openssl']:>9,.0f} /s"
            f"  [{m['ed25519_openssl']:,.0f}]  (cryptography, for comparison)"
        )
        print(
            f"  CR1: signed credential       {r['cr1']:>9,.0f} /s  "
            f"({r['cr1'] / r['ed25519_verify']:.2f} x verify alone; target >= {TARGET:,})"
            f"  [{m['cr1']:,.0f}]"
        )
        print(
            f"  CR1 as on main (package+cwt) {r['cr1_as_on_main']:>9,.0f} /s"
            f"  [{m['cr1_as_on_main']:,.0f}]"
        )
        print(
            f"  CR4: rotating presentation   {r['cr4']:>9,.0f} /s  (two signatures)"
            f"  [{m['cr4']:,.0f}]"
        )
        print(
            f"  base45 decode of CR1 (ours)  {1e6 / r['base45_ours']:>9.1f} µs  "
            f"(base45 package {1e6 / r['base45_package']:.1f} µs)"
        )
    for o in report.get("online", []):
        h, d = o["hello"], o["redeem"]
        print(
            f"online {o['db']:<10} {o['form']:<9} redeems/s {d['rps']:>7.0f}  p50 {d['p50']:.1f}"
            f" ms  p99 {d['p99']:.1f} ms  /healthz {h['rps']:.0f}/s  ratio {o['ratio']:.3f}"
            f"  cpu µs/req {d['cpu_us']:.0f} (healthz {h['cpu_us']:.0f})  bad {d['bad']:.0f}"
        )
    for s in report.get("size", []):
        print(
            f"size {s['form']:<19} {s['bytes']:>4} bytes  {s['chars']:>4} chars  "
            f"QR version {s['qr_version_M']} at M (budget {s['budget_M']})"
        )


if __name__ == "__main__":
    sys.exit(main())

"""Resolve throughput vs the same server's hello endpoint, with 10^3 and 10^6 codes stored.

    .venv/bin/python bench/resolve.py [--db sqlite,postgresql] [--sizes 1000,1000000]
        [--seconds 4] [--rounds 5] [--connections 32] [--workers 1] [--routed]
        [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]

Per database and size n: stores n offer codes, starts the server (one uvicorn worker by
default) and drives ``POST /api/v1/scan`` and ``GET /healthz`` with wrk under the same
load, one after the other. Each scan is a valid code drawn uniformly from all n stored
ones (so with n = 10^3 every code is hot in the answer cache, and with n = 10^6 nearly
every scan misses it and reads the database); each scan also queues its scan event.
Prints requests/s, p50 and p99 of each and the ratio. Targets: resolve >= 0.8 x hello
with 10^3 codes (the hot set), >= 0.5 x with 10^6 drawn uniformly. ``--routed`` switches
the ASGI fast path off (RELAYCODE_SCAN_FAST_PATH=0), to see what it earns.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from _server import Server

from relaycode.codes.keys import Keyring
from relaycode.codes.tokens import code_url, encode_token
from relaycode.db.engine import make_engine
from relaycode.db.migrate import upgrade
from relaycode.db.session import Database
from relaycode.models import Merchant, Offer

PUBLIC_URL = "https://rc-prod.example.com:8443"
HOT_SET = 1000  # up to this many codes, the target is the hot-set one
DONE_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    "JSON {\\"rps\\": %f, \\"p50\\": %f, \\"p99\\": %f, \\"errors\\": %d, \\"non2xx\\": %d}\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors, summary.errors.status))
end
"""
# Both scripts hand wrk a request built in advance, so the client spends the same
# (little) CPU per request on either side of the ratio: it shares the machine's cores.
SCAN_LUA = """
local reqs = {}
init = function(args)
  for line in io.lines("%s") do
    reqs[#reqs + 1] = wrk.format("POST", "/api/v1/scan",
      {["Content-Type"] = "application/json"}, '{"text":"' .. line .. '"}')
  end
end
request = function()
  return reqs[math.random(#reqs)]
end
"""
HELLO_LUA = """
local req
init = function(args)
  req = wrk.format("GET", "/healthz")
end
request = function()
  return req
end
"""


def seed(url: str, data_dir: Path, n: int) -> list[str]:
    """Store n offer codes (bulk insert) and return all their texts."""
    upgrade(url)
    ring = Keyring.for_data_dir(data_dir)
    kid, secret = ring.active_hmac()
    db = Database(make_engine(url))
    with db.transaction() as session:
        merchant = Merchant(slug="bench", name="Bench Tea")
        session.add(merchant)
        session.flush()
        offer = Offer(
            merchant_id=merchant.id,
            title="Bench tea",
            description="A benchmark offer",
            price_minor=1250,
            currency="CNY",
            payment_methods=["wallet"],
        )
        session.add(offer)
        session.flush()
        oid = offer.id
    engine = db.engine
    rng = random.Random(7)
    texts: list[str] = []
    batch = 20_000
    insert = sa.text(
        "INSERT INTO codes (id, kind, offer_id, depth, status, key_id, format_version, "
        "created_at) VALUES (:id, 'offer', :offer, 0, 'active', :kid, 1, CURRENT_TIMESTAMP)"
    )
    done = 0
    while done < n:
        rows = []
        for _ in range(min(batch, n - done)):
            raw = rng.randbytes(16)
            rows.append({"id": raw.hex(), "offer": oid, "kid": kid})
            texts.append(
                code_url("HTTPS", "RC-PROD.EXAMPLE.COM:8443", encode_token(kid, secret, raw))
            )
        with engine.begin() as conn:
            conn.execute(insert, rows)
        done += len(rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return texts


def wrk(
    url: str, path: str, script: Path | None, seconds: int, connections: int
) -> dict[str, float]:
    # One wrk thread: with two, the second thread's script init (building a million
    # requests takes seconds) runs while the first already sends, and inflates its count.
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url + path], capture_output=True, text=True, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("JSON "):
            result: dict[str, float] = json.loads(line[5:])
            return result
    raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")


def run_case(backend: str, n: int, args: argparse.Namespace, work: Path) -> dict[str, object]:
    data_dir = work / f"{backend}-{n}"
    data_dir.mkdir()
    if backend == "sqlite":
        url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    else:
        admin = sa.create_engine(
            args.pg_url.replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS relaycode_bench WITH (FORCE)")
            conn.exec_driver_sql("CREATE DATABASE relaycode_bench")
        admin.dispose()
        url = sa.make_url(args.pg_url).set(database="relaycode_bench").render_as_string(False)
    t0 = time.perf_counter()
    sample = seed(url, data_dir, n)
    seeded = time.perf_counter() - t0
    texts = data_dir / "texts.txt"
    texts.write_text("\n".join(sample) + "\n")
    del sample
    scan_lua = data_dir / "scan.lua"
    scan_lua.write_text(SCAN_LUA % texts + DONE_LUA)
    hello_lua = data_dir / "hello.lua"
    hello_lua.write_text(HELLO_LUA + DONE_LUA)
    env = {"RELAYCODE_SCAN_FAST_PATH": "0"} if args.routed else {}
    server = Server(data_dir, url, PUBLIC_URL, workers=args.workers, env=env)
    try:
        wrk(server.url, "/healthz", hello_lua, 2, args.connections)  # warm up both paths
        wrk(server.url, "/", scan_lua, 2, args.connections)
        hello, scan, ratios = measure(server, hello_lua, scan_lua, args)
    finally:
        server.stop()
    return {
        "db": backend,
        "codes": n,
        "seed_s": round(seeded, 1),
        "hello": hello,
        "resolve": scan,
        "ratio": statistics.median(ratios),
        "ratios": [round(r, 3) for r in ratios],
        "target": 0.8 if n <= HOT_SET else 0.5,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    server: Server, hello_lua: Path, scan_lua: Path, args: argparse.Namespace
) -> tuple[dict[str, float], dict[str, float], list[float]]:
    """Alternate hello and resolve runs (ABBA…), so a machine whose load drifts moves both
    sides alike; each round's ratio pairs two adjacent runs, and the median is reported.
    Also the server's CPU per request (one worker only): the ratio of those is what the
    throughput ratio tends to on an idle machine."""
    runs: dict[str, list[dict[str, float]]] = {"hello": [], "resolve": []}
    for i in range(args.rounds):
        order = ("hello", "resolve") if i % 2 == 0 else ("resolve", "hello")
        for kind in order:
            script, path = (hello_lua, "/healthz") if kind == "hello" else (scan_lua, "/")
            cpu0 = cpu_seconds(server.proc.pid)
            result = wrk(server.url, path, script, args.seconds, args.connections)
            done = result["rps"] * args.seconds
            if args.workers == 1 and done:
                result["cpu_us"] = (cpu_seconds(server.proc.pid) - cpu0) / done * 1e6
            runs[kind].append(result)
    ratios = [s["rps"] / h["rps"] for h, s in zip(runs["hello"], runs["resolve"], strict=True)]

    def summary(kind: str) -> dict[str, float]:
        rs = runs[kind]
        out = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
        out["errors"] = sum(r["errors"] for r in rs)
        out["non2xx"] = sum(r["non2xx"] for r in rs)
        if all("cpu_us" in r for r in rs):
            out["cpu_us"] = statistics.median(r["cpu_us"] for r in rs)
        return out

    return summary("hello"), summary("resolve"), ratios


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", default="sqlite,postgresql")
    p.add_argument("--sizes", default="1000,1000000")
    p.add_argument("--seconds", type=int, default=4, help="per wrk run")
    p.add_argument("--rounds", type=int, default=5, help="hello/resolve pairs per case")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument("--routed", action="store_true", help="switch the scan fast path off")
    p.add_argument(
        "--pg-url",
        default=os.environ.get(
            "RELAYCODE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/resolve.py needs wrk (Debian: apt-get install wrk)")
    results = []
    with tempfile.TemporaryDirectory(prefix="rc-bench-") as tmp:
        for backend in args.db.split(","):
            for n in (int(x) for x in args.sizes.split(",")):
                print(f"... {backend}, {n:,} codes", file=sys.stderr, flush=True)
                results.append(run_case(backend, n, args, Path(tmp)))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"workers={args.workers} connections={args.connections} "
          f"rounds={args.rounds}x{args.seconds}s"
          + (" routed (no fast path)" if args.routed else ""))  # fmt: skip
    print(
        f"{'db':<11}{'codes':>10} {'hello rps':>10} {'p50/p99 ms':>13} "
        f"{'resolve rps':>12} {'p50/p99 ms':>13} {'ratio':>6} {'target':>6} "
        f"{'cpu us/req hello/resolve':>25}"
    )
    for r in results:
        h, s = r["hello"], r["resolve"]
        assert isinstance(h, dict) and isinstance(s, dict)
        print(
            f"{r['db']:<11}{r['codes']:>10,} {h['rps']:>10.0f} "
            f"{h['p50']:>6.1f}/{h['p99']:<6.1f} {s['rps']:>12.0f} "
            f"{s['p50']:>6.1f}/{s['p99']:<6.1f} {r['ratio']:>6.2f} {r['target']:>6.1f} "
            + (f"{h['cpu_us']:>13.0f}/{s['cpu_us']:<6.0f}" if "cpu_us" in s else "")
            + (
                ""
                if not (s["errors"] or s["non2xx"])
                else f"  errors={s['errors']} non2xx={s['non2xx']}"
            )
        )
    by_db: dict[str, list[float]] = {}
    for r in results:
        s = r["resolve"]
        assert isinstance(s, dict)
        by_db.setdefault(str(r["db"]), []).append(s["rps"])
    for db, rps in by_db.items():
        flat = min(rps) / max(rps)
        print(f"{db}: smallest/largest resolve rps across sizes = {flat:.2f} (1.00 = flat)")
    ok = all(float(r["ratio"]) >= float(r["target"]) for r in results)  # type: ignore[arg-type]
    print("targets (>= 0.8 x hello hot, >= 0.5 x uniform over 10^6):", "PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()

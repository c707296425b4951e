"""Resolve throughput vs the same server's hello endpoint, with 10^3 and 10^6 codes stored.

    .venv/bin/python bench/resolve.py [--db sqlite,postgresql] [--sizes 1000,1000000]
        [--seconds 10] [--connections 32] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]

Starts one uvicorn worker per case and drives ``POST /api/v1/scan`` (valid offer codes,
chosen at random among the stored ones; each scan also writes its scan event) and
``GET /healthz`` with wrk under the same load. Prints requests/s, p50 and p99 of each and
the ratio. Target: resolve >= 0.5 x hello, flat from 10^3 to 10^6 codes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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
SAMPLE = 2000
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
SCAN_LUA = """
local texts = {}
for line in io.lines("%s") do texts[#texts + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local t = texts[math.random(#texts)]
  return wrk.format(nil, "/api/v1/scan", nil, '{"text":"' .. t .. '"}')
end
"""


def seed(url: str, data_dir: Path, n: int) -> list[str]:
    """Store n offer codes (bulk insert) and return the texts of a random sample."""
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
    sample: list[str] = []
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
            if len(sample) < SAMPLE and rng.random() < SAMPLE / n * 1.5:
                sample.append(
                    code_url("HTTPS", "RC-PROD.EXAMPLE.COM:8443", encode_token(kid, secret, raw))
                )
        with engine.begin() as conn:
            conn.execute(insert, rows)
        done += len(rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return sample


def wrk(
    url: str, path: str, script: Path | None, seconds: int, connections: int
) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency"]
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
    scan_lua = data_dir / "scan.lua"
    scan_lua.write_text(SCAN_LUA % texts + DONE_LUA)
    hello_lua = data_dir / "hello.lua"
    hello_lua.write_text(DONE_LUA)
    server = Server(data_dir, url, PUBLIC_URL)
    try:
        wrk(server.url, "/healthz", hello_lua, 2, args.connections)  # warm up both paths
        wrk(server.url, "/", scan_lua, 2, args.connections)
        hello = wrk(server.url, "/healthz", hello_lua, args.seconds, args.connections)
        scan = wrk(server.url, "/", scan_lua, args.seconds, args.connections)
    finally:
        server.stop()
    return {
        "db": backend,
        "codes": n,
        "seed_s": round(seeded, 1),
        "hello": hello,
        "resolve": scan,
        "ratio": scan["rps"] / hello["rps"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", default="sqlite,postgresql")
    p.add_argument("--sizes", default="1000,1000000")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=32)
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
    print(
        f"{'db':<11}{'codes':>10} {'hello rps':>10} {'p50/p99 ms':>13} "
        f"{'resolve rps':>12} {'p50/p99 ms':>13} {'ratio':>6}"
    )
    for r in results:
        h, s = r["hello"], r["resolve"]
        assert isinstance(h, dict) and isinstance(s, dict)
        print(
            f"{r['db']:<11}{r['codes']:>10,} {h['rps']:>10.0f} "
            f"{h['p50']:>6.1f}/{h['p99']:<6.1f} {s['rps']:>12.0f} "
            f"{s['p50']:>6.1f}/{s['p99']:<6.1f} {r['ratio']:>6.2f}"
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
    ok = all(float(r["ratio"]) >= 0.5 for r in results)  # type: ignore[arg-type]
    print("target resolve >= 0.5 x hello:", "PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()

"""Checkout throughput: orders per second through the API vs the same server's /healthz.

    .venv/bin/python bench/checkout.py [--db sqlite,postgresql] [--depths 1,3]
        [--seconds 4] [--rounds 3] [--connections 16] [--buyers 64]
        [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]

Per database, one server (one uvicorn worker) is started on a fresh database, and set up
through its own API: a merchant with one offer per depth (wallet payments, offer
commission rules paying 10 % / 5 % / 2 % over that many levels), a share chain of that
depth (sharer 1 re-shares the offer code, sharer 2 re-shares sharer 1's code ...), and
``--buyers`` buyers, each with a wallet granted through the ledger. wrk then drives
``POST /api/v1/orders`` ({"code": <the deepest share>, "quantity": 1, "payment_method":
"wallet"}, a fresh ``Idempotency-Key`` per request, a buyer drawn at random) and
``GET /healthz`` under the same load, alternating (ABBA). Each order is a full checkout:
attribution over the lineage, a wallet payment, the commission split at that depth as
ledger entries, inbox items and webhook events in the outbox, all in one transaction.
Prints orders/s, p50/p99 and the ratio; target >= 0.2 x /healthz on PostgreSQL. At the end
``relaycode ledger check`` must pass and the number of orders must equal wrk's successes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from _server import Server
from resolve import DONE_LUA, HELLO_LUA, cpu_seconds, wrk

from relaycode.db.engine import make_engine
from relaycode.db.migrate import upgrade
from relaycode.db.session import Database
from relaycode.payments.wallet import grant_to

PUBLIC_URL = "http://127.0.0.1:8000"
PRICE_MINOR = 1250
LEVELS_BP = (1000, 500, 200)
PASSWORD = "correct horse bench 1"
# Each wrk connection numbers its own requests; a per-run prefix keeps keys unique
# across runs (the same key twice would answer the first order instead of a new one).
ORDER_LUA = """
local reqs_tokens = {}
local n = 0
local prefix = "%s"
local body = '%s'
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
init = function(args)
  for line in io.lines("%s") do reqs_tokens[#reqs_tokens + 1] = line end
  -- wrk runs are seconds long, so the start second tells runs apart
  prefix = prefix .. "-" .. os.time() .. "-" .. (tid or 0)
  math.randomseed(os.time())
end
request = function()
  n = n + 1
  local token = reqs_tokens[math.random(#reqs_tokens)]
  return wrk.format("POST", "/api/v1/orders", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = prefix .. "-" .. n,
  }, body)
end
"""


def _ok(r: httpx.Response, *codes: int) -> Any:
    if r.status_code not in codes:
        raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}")
    return r.json() if r.content else None


def register(c: httpx.Client, name: str) -> str:
    body = {"username": name, "password": PASSWORD}
    token: str = _ok(c.post("/api/v1/auth/register", json=body), 201)["token"]
    return token


def setup(server: Server, depths: list[int], buyers: int) -> tuple[dict[int, str], list[str]]:
    """Merchant, offers, rules and share chains through the API; the deepest code per depth."""
    chains: dict[int, str] = {}
    with httpx.Client(base_url=server.url, timeout=30) as c:
        owner = {"Authorization": f"Bearer {register(c, 'benchowner')}"}
        _ok(
            c.post("/api/v1/merchants", json={"slug": "bench", "name": "Bench"}, headers=owner), 201
        )
        for depth in depths:
            offer = _ok(
                c.post(
                    "/api/v1/merchants/bench/offers",
                    json={
                        "title": f"Bench tea, depth {depth}",
                        "price_minor": PRICE_MINOR,
                        "currency": "CNY",
                        "payment_methods": ["wallet"],
                    },
                    headers=owner,
                ),
                201,
            )
            rules = {
                "currency": "CNY",
                "levels": [{"percent_bp": bp} for bp in LEVELS_BP[:depth]],
                "max_depth": depth,
                "hold_days": 7,
            }
            _ok(
                c.put(f"/api/v1/offers/{offer['id']}/commission-rules", json=rules, headers=owner),
                200,
            )
            text = _ok(c.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=owner), 201)[
                "text"
            ]
            for level in range(1, depth + 1):
                sharer = {"Authorization": f"Bearer {register(c, f'sharer{depth}x{level}')}"}
                text = _ok(c.post("/api/v1/shares", json={"code": text}, headers=sharer), 200, 201)[
                    "code"
                ]
            chains[depth] = text
        tokens = [register(c, f"buyer{i}") for i in range(buyers)]
    return chains, tokens


def grant_wallets(url: str, buyers: int) -> None:
    db = Database(make_engine(url))
    with db.transaction() as session:
        for i in range(buyers):
            grant_to(session, f"buyer{i}", 10**12, "CNY", idempotency_key=f"bench:grant:{i}")
    db.dispose()


def count_orders(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(sa.text("SELECT count(*) FROM orders")).scalar_one())
    engine.dispose()
    return n


def ledger_check(url: str, data_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "RELAYCODE_DATABASE_URL": url, "RELAYCODE_DATA_DIR": str(data_dir)}
    out = subprocess.run(
        [str(Path(sys.executable).parent / "relaycode"), "ledger", "check", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    report: dict[str, Any] = json.loads(out.stdout) if out.stdout.strip() else {}
    report["exit"] = out.returncode
    return report


def database(backend: str, data_dir: Path, pg_url: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{data_dir / 'bench.sqlite3'}"
    admin = sa.create_engine(
        pg_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS relaycode_bench_checkout WITH (FORCE)")
        conn.exec_driver_sql("CREATE DATABASE relaycode_bench_checkout")
    admin.dispose()
    return sa.make_url(pg_url).set(database="relaycode_bench_checkout").render_as_string(False)


def fresh_server(backend: str, args: argparse.Namespace, work: Path) -> tuple[Path, str, Server]:
    """A migrated, empty database of ``backend`` and a server for it (not started yet);
    sign-ups are not rate limited, the bench registers many users from one address."""
    data_dir = work / backend
    data_dir.mkdir()
    url = database(backend, data_dir, args.pg_url)
    upgrade(url)
    env = {"RELAYCODE_SIGNUPS_PER_ADDRESS": "100000 per hour"}
    return data_dir, url, Server(data_dir, url, PUBLIC_URL, env=env)


def run_db(backend: str, args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    data_dir, url, server = fresh_server(backend, args, work)
    results = []
    try:
        depths = [int(d) for d in args.depths.split(",")]
        chains, tokens = setup(server, depths, args.buyers)
        (data_dir / "tokens.txt").write_text("\n".join(tokens) + "\n")
        grant_wallets(url, args.buyers)
        hello_lua = data_dir / "hello.lua"
        hello_lua.write_text(HELLO_LUA + DONE_LUA)
        for depth in depths:
            body = json.dumps({"code": chains[depth], "quantity": 1, "payment_method": "wallet"})
            lua = data_dir / f"order{depth}.lua"
            lua.write_text(ORDER_LUA % (f"d{depth}", body, data_dir / "tokens.txt") + DONE_LUA)
            wrk(server.url, "/healthz", hello_lua, 2, args.connections)  # warm up both
            wrk(server.url, "/", lua, 2, args.connections)
            results.append(measure(server, backend, depth, hello_lua, lua, args))
        stored = count_orders(url)
        check = ledger_check(url, data_dir)
    finally:
        server.stop()
    for r in results:
        r["orders_stored_all_depths"] = stored
        r["ledger_check_exit"] = check["exit"]
    return results


def measure(
    server: Server,
    backend: str,
    depth: int,
    hello_lua: Path,
    order_lua: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {"hello": [], "order": []}
    for i in range(args.rounds):
        for kind in ("hello", "order") if i % 2 == 0 else ("order", "hello"):
            script, path = (hello_lua, "/healthz") if kind == "hello" else (order_lua, "/")
            cpu0 = cpu_seconds(server.proc.pid)
            result = wrk(server.url, path, script, args.seconds, args.connections)
            done = result["rps"] * args.seconds
            result["cpu_us"] = (
                (cpu_seconds(server.proc.pid) - cpu0) / done * 1e6 if done else float("nan")
            )
            runs[kind].append(result)
    ratios = [o["rps"] / h["rps"] for h, o in zip(runs["hello"], runs["order"], strict=True)]

    def summary(kind: str) -> dict[str, float]:
        rs = runs[kind]
        out = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99", "cpu_us")}
        out["errors"] = sum(r["errors"] for r in rs)
        out["non2xx"] = sum(r["non2xx"] for r in rs)
        out["requests"] = sum(r["rps"] * args.seconds for r in rs)
        return out

    return {
        "db": backend,
        "depth": depth,
        "hello": summary("hello"),
        "order": summary("order"),
        "ratio": statistics.median(ratios),
        "ratios": [round(r, 3) for r in ratios],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", default="sqlite,postgresql")
    p.add_argument("--depths", default="1,3")
    p.add_argument("--seconds", type=int, default=4, help="per wrk run")
    p.add_argument("--rounds", type=int, default=3, help="hello/order pairs per case")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--buyers", type=int, default=64)
    p.add_argument(
        "--pg-url",
        default=os.environ.get(
            "RELAYCODE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/checkout.py needs wrk (Debian: apt-get install wrk)")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rc-bench-checkout-") as tmp:
        for backend in args.db.split(","):
            print(f"... {backend}", file=sys.stderr, flush=True)
            results += run_db(backend, args, Path(tmp))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"connections={args.connections} rounds={args.rounds}x{args.seconds}s buyers={args.buyers}"
    )
    print(
        f"{'db':<11}{'depth':>5} {'hello rps':>10} {'orders/s':>9} {'p50/p99 ms':>14} "
        f"{'ratio':>6} {'cpu us/req hello/order':>23} {'non2xx':>7} {'ledger':>7}"
    )
    for r in results:
        h, o = r["hello"], r["order"]
        print(
            f"{r['db']:<11}{r['depth']:>5} {h['rps']:>10.0f} {o['rps']:>9.0f} "
            f"{o['p50']:>6.1f}/{o['p99']:<7.1f} {r['ratio']:>6.2f} "
            f"{h['cpu_us']:>11.0f}/{o['cpu_us']:<11.0f} {o['non2xx'] + o['errors']:>7.0f} "
            f"{'ok' if r['ledger_check_exit'] == 0 else 'FAIL':>7}"
        )
    pg = [r for r in results if r["db"] == "postgresql"]
    consistent = all(r["ledger_check_exit"] == 0 for r in results)
    print("ledger consistent after the run:", "PASS" if consistent else "FAIL")
    if pg:
        fast = all(r["ratio"] >= 0.2 for r in pg)
        print("target >= 0.2 x /healthz on PostgreSQL:", "PASS" if fast else "FAIL")
    else:
        print("target >= 0.2 x /healthz on PostgreSQL: not measured (no PostgreSQL run)")


if __name__ == "__main__":
    main()

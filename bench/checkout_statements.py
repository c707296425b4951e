"""SQL statements per checkout: N sequential wallet checkouts through the app in-process.

    .venv/bin/python bench/checkout_statements.py [--db postgresql] [--depth 1] [-n 60]
        [--top 30] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]

Sets up the same shop as bench/checkout.py (through the API, with a TestClient), then
counts and times every statement the engine executes during ``-n`` checkouts. Prints
statements per checkout, time inside ``execute`` and the process CPU per checkout (the
in-process client's own cost included), and the statements that cost most. Where to cut
next, not a throughput figure: bench/checkout.py is that.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
import types
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import checkout as cb


class _Shared:
    """bench/checkout.setup opens ``httpx.Client(...)`` in a ``with``: hand it ours."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *exc: object) -> None:
        return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", default="postgresql", choices=("sqlite", "postgresql"))
    p.add_argument("--depth", type=int, default=1)
    p.add_argument("-n", type=int, default=60)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = p.parse_args()
    data = Path(tempfile.mkdtemp(prefix="rc-bench-stmts-"))
    url = cb.database(args.db, data, args.pg_url)
    cb.upgrade(url)
    os.environ.update(
        RELAYCODE_DATABASE_URL=url,
        RELAYCODE_DATA_DIR=str(data),
        RELAYCODE_PUBLIC_URL=cb.PUBLIC_URL,
        RELAYCODE_SIGNUPS_PER_ADDRESS="100000 per hour",
    )
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from relaycode.app import create_app

    app = create_app()
    with TestClient(app) as client:
        cb.httpx = types.SimpleNamespace(Client=lambda **_: _Shared(client))
        server = types.SimpleNamespace(url="")
        chains, tokens = cb.setup(server, [args.depth], 8)
        cb.grant_wallets(url, 8)
        body = {"code": chains[args.depth], "quantity": 1, "payment_method": "wallet"}

        def order(i: int) -> None:
            headers = {
                "Authorization": f"Bearer {tokens[i % 8]}",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            r = client.post("/api/v1/orders", json=body, headers=headers)
            if r.status_code != 201:
                raise RuntimeError(r.text)

        for i in range(5):  # warm up caches and prepared statements
            order(i)
        count: collections.Counter[str] = collections.Counter()
        spent: collections.defaultdict[str, float] = collections.defaultdict(float)
        started: list[float] = []
        engine = app.state.rc.db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(*_: object) -> None:
            started.append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(_c: object, _cur: object, statement: str, *_: object) -> None:
            text = " ".join(statement.split())
            key = text[:100] + (" …FOR UPDATE" if "FOR UPDATE" in text else "")
            count[key] += 1
            spent[key] += time.perf_counter() - started.pop()

        wall0, cpu0 = time.perf_counter(), time.process_time()
        for i in range(args.n):
            order(i)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    n = args.n
    print(
        f"{args.db} depth {args.depth}, {n} checkouts: {sum(count.values()) / n:.1f} statements, "
        f"{sum(spent.values()) / n * 1e3:.1f} ms in execute, {cpu / n * 1e3:.1f} ms process CPU, "
        f"{wall / n * 1e3:.1f} ms wall per checkout"
    )
    for key in sorted(spent, key=spent.__getitem__, reverse=True)[: args.top]:
        print(f"{count[key] / n:5.1f} x {spent[key] / n * 1e3:6.2f} ms  {key}")


if __name__ == "__main__":
    main()

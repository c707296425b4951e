"""A real uvicorn process under 20 concurrent hostile uploads to /api/v1/decode (issue 5 §2).

The TestClient shares this process's memory and serialises work, so it cannot show what an
attacker does to a server: this test starts one, measures its peak resident memory
(``VmHWM`` in /proc/<pid>/status) and checks that no answer is a 5xx other than 503 busy.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostile_images import hostile_set

from relaycode.db.migrate import upgrade

PEAK_LIMIT_KB = 600 * 1024

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads peak RSS from /proc"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    data = tmp_path_factory.mktemp("decode-server")
    url = f"sqlite:///{data / 'relaycode.sqlite3'}"
    upgrade(url)
    port = _free_port()
    env = {
        **os.environ,
        "RELAYCODE_DATA_DIR": str(data),
        "RELAYCODE_DATABASE_URL": url,
        "RELAYCODE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    # Run with the shipped decode defaults: the limits under test are the ones users get.
    for key in list(env):
        if key.startswith("RELAYCODE_DECODE_"):
            del env[key]
    cmd = [sys.executable, "-m", "uvicorn", "relaycode.app:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "server exited during start-up"
            assert time.monotonic() < deadline, "server did not start within 60 s"
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


async def _fire(base: str, uploads: dict[str, tuple[bytes, str]]) -> dict[str, httpx.Response]:
    timeout = httpx.Timeout(120.0)
    limits = httpx.Limits(max_connections=len(uploads))
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:

        async def one(data: bytes, ctype: str) -> httpx.Response:
            return await client.post(
                "/api/v1/decode", content=data, headers={"content-type": ctype}
            )

        names = list(uploads)
        answers = await asyncio.gather(*(one(*uploads[n]) for n in names))
        return dict(zip(names, answers, strict=True))


def test_twenty_concurrent_hostile_uploads(server: tuple[str, int]) -> None:
    base, pid = server
    uploads = hostile_set()
    assert len(uploads) == 20
    assert max(len(d) for d, _ in uploads.values()) < 1_000_000  # small on the wire
    # Warm up first (OpenCV and zxing-cpp load on the first decode), so the peak is ours.
    warm = httpx.post(base + "/api/v1/decode", content=uploads["jpeg-6000"][0], timeout=120)
    assert warm.status_code == 200, warm.text
    before = _status_kb(pid, "VmRSS")
    answers = asyncio.run(_fire(base, uploads))
    peak = _status_kb(pid, "VmHWM")

    report = {
        n: (r.status_code, r.json()["error"]["code"] if r.is_error else "")
        for n, r in answers.items()
    }
    print(f"\nRSS before {before // 1024} MB, peak {peak // 1024} MB; answers {report}")
    for name, r in answers.items():
        assert r.status_code < 500 or r.status_code == 503, (name, r.status_code, r.text)
        if r.is_error:
            assert r.headers["content-type"].startswith("application/json"), name
            assert r.json()["error"]["code"], name
        if r.status_code == 503:
            assert r.json()["error"]["code"] == "decode_busy"
            assert int(r.headers["retry-after"]) >= 1
    assert peak < PEAK_LIMIT_KB, f"peak RSS {peak // 1024} MB"
    # The server still answers, and a plain request still decodes once the load is gone.
    assert httpx.get(base + "/healthz", timeout=10).status_code == 200

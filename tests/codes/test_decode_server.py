"""A real uvicorn process under 20 concurrent hostile uploads to /api/v1/decode (issue 5 §2).

The TestClient shares this process's memory and serialises work, so it cannot show what an
attacker does to a server: this test starts one, measures its peak resident memory
(``VmHWM`` in /proc/<pid>/status) and checks that no answer is a 5xx other than 503 busy.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostile_images import hostile_set
from subprocess_env import free_port

from relaycode.db.migrate import upgrade

PEAK_LIMIT_KB = 600 * 1024

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads peak RSS from /proc"
)


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
    port = free_port()
    env = {
        **os.environ,
        "RELAYCODE_DATA_DIR": str(data),
        "RELAYCODE_DATABASE_URL": url,
        "RELAYCODE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    # The shipped decode limits (concurrency, memory): they are what is under test. Only the
    # search time is shortened, to keep the test short; it bounds time, not memory.
    for key in list(env):
        if key.startswith("RELAYCODE_DECODE_"):
            del env[key]
    env["RELAYCODE_DECODE_SECONDS"] = "0.5"
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


# What each upload must finally get: decoded (200), or refused with a code, never a 500.
EXPECTED = {
    "png-1x39M": (422, "image_bad_shape"),
    "png-39Mx1": (422, "image_bad_shape"),
    "png-bomb-20000": (413, "image_too_many_pixels"),
    "png-truncated-6000": (422, "bad_image"),
    "jpeg-truncated": (422, "bad_image"),
    "tiff-pages": (422, "bad_image"),
    "garbage": (422, "bad_image"),
    "empty": (422, "bad_image"),
}


async def _fire(base: str, uploads: dict[str, tuple[bytes, str]]) -> dict[str, httpx.Response]:
    """All uploads at once; then those refused as busy again, all at once, until none is
    (a bounded number of rounds): every hostile image is decoded or refused on its merits."""
    timeout = httpx.Timeout(120.0)
    limits = httpx.Limits(max_connections=len(uploads))
    answers: dict[str, httpx.Response] = {}
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:

        async def one(name: str) -> None:
            data, ctype = uploads[name]
            r = await client.post("/api/v1/decode", content=data, headers={"content-type": ctype})
            answers[name] = r

        pending = list(uploads)
        for _ in range(40):
            await asyncio.gather(*(one(n) for n in pending))
            pending = [n for n in pending if answers[n].status_code == 503]
            if not pending:
                break
            await asyncio.sleep(0.2)
    return answers


@pytest.fixture(scope="module")
def uploads() -> dict[str, tuple[bytes, str]]:
    return hostile_set()


def test_twenty_concurrent_hostile_uploads(
    server: tuple[str, int], uploads: dict[str, tuple[bytes, str]]
) -> None:
    base, pid = server
    assert len(uploads) == 20
    assert max(len(d) for d, _ in uploads.values()) < 1_000_000  # small on the wire
    # Warm up first (OpenCV and zxing-cpp load on the first decode), so the peak is ours.
    warm = httpx.post(base + "/api/v1/decode", content=uploads["jpeg-6000"][0], timeout=120)
    assert warm.status_code == 200, warm.text
    before = _status_kb(pid, "VmRSS")
    answers = asyncio.run(_fire(base, uploads))
    peak = _status_kb(pid, "VmHWM")

    got = {
        n: (r.status_code, r.json()["error"]["code"] if r.is_error else "")
        for n, r in answers.items()
    }
    print(f"\nRSS before {before // 1024} MB, peak {peak // 1024} MB; answers {got}")
    for name, r in answers.items():
        assert r.status_code < 500, (name, r.status_code, r.text)
        if r.is_error:
            assert r.headers["content-type"].startswith("application/json"), name
        assert got[name] == EXPECTED.get(name, (200, "")), name
    assert peak < PEAK_LIMIT_KB, f"peak RSS {peak // 1024} MB"
    assert httpx.get(base + "/healthz", timeout=10).status_code == 200


def test_busy_answer_is_503_with_retry_after(
    server: tuple[str, int], uploads: dict[str, tuple[bytes, str]]
) -> None:
    """More uploads at once than decoders: the extra ones are told to come back, not queued."""
    base, _ = server
    data, ctype = uploads["png16-rgb-6000"]

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            return await asyncio.gather(
                *(
                    client.post("/api/v1/decode", content=data, headers={"content-type": ctype})
                    for _ in range(12)
                )
            )

    answers = asyncio.run(burst())
    busy = [r for r in answers if r.status_code == 503]
    assert {r.status_code for r in answers} == {200, 503}
    for r in busy:
        assert r.json()["error"]["code"] == "decode_busy"
        assert int(r.headers["retry-after"]) >= 1

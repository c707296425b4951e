"""``relaycode serve`` as a real process: the address codes carry, and the keyring's guard."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from subprocess_env import free_port, server_env
from typer.testing import CliRunner

from relaycode.cli import serve
from relaycode.cli.main import app as cli_app
from relaycode.config import Settings, get_settings

STARTUP_SECONDS = 30.0


def _relaycode(*args: str) -> list[str]:
    return [sys.executable, "-m", "relaycode.cli.main", *args]


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    proc = subprocess.Popen(
        _relaycode("serve", "--port", str(port)),
        env=server_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            proc.kill()
            pytest.fail(f"server did not start: {proc.communicate(timeout=10)}")
        yield proc, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_codes_carry_the_served_port_and_a_lost_keyring_never_500s(
    server: tuple[subprocess.Popen[str], int], settings: Settings
) -> None:
    proc, port = server
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=10) as http:
        r = http.post("/api/v1/auth/register", json={"username": "ann", "password": "pw-123456"})
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        m = http.post("/api/v1/merchants", json={"slug": "shop", "name": "S"}, headers=headers)
        assert m.status_code == 201, m.text
        body = {"title": "t", "price_minor": 100, "currency": "CNY"}
        offer = http.post("/api/v1/merchants/shop/offers", json=body, headers=headers)
        assert offer.status_code == 201, offer.text
        codes_url = f"/api/v1/offers/{offer.json()['id']}/codes"
        # Gone before the first issue: the server's first look at the file finds nothing.
        keyring = settings.data_dir / "keys" / "keyring.json"
        keyring.unlink()
        first = http.post(codes_url, json={}, headers=headers)
        assert first.status_code == 201, first.text
        text = first.json()["text"]
        assert text.startswith(f"HTTP://127.0.0.1:{port}/C/")
        keyring.write_text("{not json")
        again = http.post(codes_url, json={}, headers=headers)
        assert again.status_code == 201, again.text
        for scanned in (text, again.json()["text"]):
            assert http.post("/api/v1/scan", json={"text": scanned}).json()["verdict"] == "ours"

    rotate = subprocess.run(
        _relaycode("keys", "rotate"),
        env=server_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rotate.returncode == 1
    assert len(rotate.stderr.strip().splitlines()) == 1 and "not valid" in rotate.stderr
    proc.terminate()
    out, _err = proc.communicate(timeout=10)
    assert f"codes carry http://127.0.0.1:{port}" in out.splitlines()[0]


def test_the_cli_issues_codes_for_the_served_port(
    server: tuple[subprocess.Popen[str], int], settings: Settings
) -> None:
    """With no RELAYCODE_PUBLIC_URL, `codes issue` beside `serve --port N` printed :8000."""
    _proc, port = server
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        r = http.post("/api/v1/auth/register", json={"username": "ann", "password": "pw-123456"})
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        assert http.post("/api/v1/merchants", json={"slug": "shop", "name": "S"},
                         headers=headers).status_code == 201  # fmt: skip
        body = {"title": "t", "price_minor": 100, "currency": "CNY"}
        offer = http.post("/api/v1/merchants/shop/offers", json=body, headers=headers).json()
    assert (settings.data_dir / "public_url").read_text().strip() == f"http://127.0.0.1:{port}"
    run = subprocess.run(
        _relaycode("codes", "issue", "--offer", str(offer["id"])),
        env=server_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"HTTP://127.0.0.1:{port}/C/") and run.stderr == ""


def test_serve_refuses_to_start_without_its_keyring(client: TestClient, settings: Settings) -> None:
    from helpers import issue, merchant_with_offer, register

    token = register(client)
    issue(client, token, merchant_with_offer(client, token)["id"])
    keyring = settings.data_dir / "keys" / "keyring.json"
    keyring.unlink()
    run = subprocess.run(
        _relaycode("serve", "--port", str(free_port())),
        env=server_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(keyring) in lines[0] and "keys import FILE" in lines[0]
    assert not keyring.exists()


@pytest.fixture
def no_public_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # setenv first, so that teardown removes what serve.follow_served_address sets.
    monkeypatch.setenv("RELAYCODE_PUBLIC_URL", "unset")
    monkeypatch.delenv("RELAYCODE_PUBLIC_URL")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8701, "http://127.0.0.1:8701"),
        ("localhost", 80, "http://localhost"),
        ("::1", 9000, "http://[::1]:9000"),
    ],
)
def test_public_url_follows_host_and_port(
    no_public_url: None, host: str, port: int, url: str
) -> None:
    assert serve.follow_served_address(host, port) is None
    assert get_settings().public_url == url


@pytest.mark.parametrize("lan", ["192.168.7.20", None])
def test_all_interfaces_says_which_address_codes_carry(
    no_public_url: None, monkeypatch: pytest.MonkeyPatch, lan: str | None
) -> None:
    monkeypatch.setattr(serve, "_lan_address", lambda: lan)
    note = serve.follow_served_address("0.0.0.0", 8701)
    expected = f"http://{lan or '127.0.0.1'}:8701"
    assert get_settings().public_url == expected
    assert note is not None and expected in note and "RELAYCODE_PUBLIC_URL" in note


def test_configured_public_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYCODE_PUBLIC_URL", "https://codes.example")
    get_settings.cache_clear()
    try:
        assert serve.follow_served_address("0.0.0.0", 8701) is None
        assert get_settings().public_url == "https://codes.example"
    finally:
        get_settings.cache_clear()


def test_demo_prints_codes_for_the_served_port(
    no_public_url: None, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in server_env(settings).items():
        if name.startswith("RELAYCODE_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    args = ["demo", "--json", "--host", "127.0.0.1", "--port", "8701"]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    code = json.loads(result.output)["offers"][0]["code"]
    assert code.startswith("HTTP://127.0.0.1:8701/C/")

"""Cookies on an HTTPS site (Secure, ``__Host-``), no-store on secrets, private data files."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient
from helpers import auth, register

from relaycode.app import create_app
from relaycode.config import Settings


def _client(tmp_path: Path, database_url: str, **overrides: Any) -> Iterator[TestClient]:
    values = {"cookie_secure": None, **overrides}  # None: decided by the public URL
    settings = make_settings(tmp_path / "data", database_url, **values)
    app = create_app(settings)
    scheme = settings.public_scheme.lower()
    try:
        with TestClient(app, base_url=f"{scheme}://rc.test", raise_server_exceptions=False) as c:
            yield c
    finally:
        app.state.rc.scans.close()
        app.state.rc.db.dispose()


@pytest.fixture
def https(tmp_path: Path, database_url: str, settings: Settings) -> Iterator[TestClient]:
    # ``settings`` only for its clean-up of the test database.
    yield from _client(tmp_path, database_url, public_url="https://rc.test")


def _set_cookies(response: Any) -> dict[str, Any]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return {name: jar[name] for name in jar}


def _register_form(client: TestClient, csrf: str) -> Any:
    form = {"csrf": csrf, "username": "alice", "password": "password123",
            "password2": "password123"}  # fmt: skip
    return client.post("/register", data=form, follow_redirects=False)


def test_https_site_sets_secure_host_prefixed_cookies(https: TestClient) -> None:
    first = _set_cookies(https.get("/"))
    csrf = first["__Host-rc_csrf"]
    assert csrf["secure"] and csrf["path"] == "/" and not csrf["domain"]
    assert "rc_csrf" not in first
    signed_up = _register_form(https, csrf.value)
    assert signed_up.status_code == 303, signed_up.text
    cookies = _set_cookies(signed_up)
    for name in ("__Host-rc_session", "__Host-rc_device", "__Host-rc_csrf"):
        assert cookies[name]["secure"] and cookies[name]["path"] == "/", name
    assert cookies["__Host-rc_session"]["httponly"]
    assert https.get("/dashboard", follow_redirects=False).status_code == 200

    # A plain-named cookie (what a sibling host or an HTTP attacker could plant) is ignored.
    secret = https.cookies["__Host-rc_session"]
    https.cookies.clear()
    https.cookies.set("rc_session", secret)
    assert https.get("/dashboard", follow_redirects=False).status_code == 303


def test_logout_clears_the_prefixed_cookie(https: TestClient) -> None:
    csrf = _set_cookies(https.get("/"))["__Host-rc_csrf"].value
    _register_form(https, csrf)
    out = https.post("/logout", data={"csrf": https.cookies["__Host-rc_csrf"]},
                     follow_redirects=False)  # fmt: skip
    gone = _set_cookies(out)["__Host-rc_session"]
    assert gone.value == "" and gone["secure"] and gone["max-age"] == "0"


@pytest.mark.parametrize(
    ("public_url", "override", "secure"),
    [
        ("http://rc.test", None, False),
        ("https://rc.test", False, False),  # RELAYCODE_COOKIE_SECURE=false wins
        ("http://rc.test", True, True),  # e.g. HTTPS terminated in front of the app
    ],
)
def test_cookie_secure_override(
    tmp_path: Path, database_url: str, settings: Settings,
    public_url: str, override: bool | None, secure: bool,
) -> None:  # fmt: skip
    for client in _client(tmp_path, database_url, public_url=public_url, cookie_secure=override):
        cookies = _set_cookies(client.get("/"))
        name = "__Host-rc_csrf" if secure else "rc_csrf"
        assert set(cookies) == {name} and bool(cookies[name]["secure"]) is secure


def test_answers_with_secrets_are_never_cached(client: TestClient) -> None:
    body = {"username": "bob", "password": "correct horse 1"}
    registered = client.post("/api/v1/auth/register", json=body)
    assert registered.status_code == 201 and registered.headers["cache-control"] == "no-store"
    logged_in = client.post("/api/v1/auth/login", json=body)
    assert logged_in.status_code == 200 and logged_in.headers["cache-control"] == "no-store"
    token = registered.json()["token"]
    client.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=auth(token))
    key = client.post(
        "/api/v1/merchants/shop/api-keys", json={"name": "till", "scopes": ["scan"]},
        headers=auth(token),
    )  # fmt: skip
    assert key.status_code == 201, key.text
    assert key.headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/healthz").headers  # only where it matters
    register(client, "carol")


def test_data_dir_and_database_are_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    settings = make_settings(data, f"sqlite:///{data / 'relaycode.sqlite3'}")
    settings.ensure_data_dir()
    from relaycode.db.migrate import upgrade

    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            register(client)  # a write, connections still open: -wal and -shm exist now
            assert stat.S_IMODE(data.stat().st_mode) == 0o700
            for suffix in ("", "-wal", "-shm"):
                path = data / f"relaycode.sqlite3{suffix}"
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        app.state.rc.scans.close()
        app.state.rc.db.dispose()


def test_existing_data_dir_and_database_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    db_file = data / "relaycode.sqlite3"
    db_file.touch()
    db_file.chmod(0o644)
    settings = make_settings(data, f"sqlite:///{db_file}")
    settings.ensure_data_dir()
    from relaycode.db.engine import make_engine

    make_engine(settings.resolved_database_url).dispose()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(db_file.stat().st_mode) == 0o600

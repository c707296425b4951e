"""CSRF, cookies, security headers, sessions and who may see what."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Any

import pytest
from fastapi.testclient import TestClient

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)


def _set_cookies(response: Any) -> dict[str, SimpleCookie]:
    jar: dict[str, SimpleCookie] = {}
    for raw in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(raw)
        for name in cookie:
            jar[name] = cookie
    return jar


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"username": "alice", "password": "password123"}),
        ("/register", {"username": "mallory", "password": "password123",
                       "password2": "password123"}),
        ("/logout", {}),
        ("/dashboard/merchants", {"slug": "evil", "name": "Evil"}),
        ("/scan", {"text": "https://example.com/"}),
    ],
)  # fmt: skip
def test_forms_without_the_csrf_token_are_refused(
    pages: Any, client: TestClient, path: str, data: dict[str, str]
) -> None:
    pages.register()
    missing = client.post(path, data=data, follow_redirects=False)
    wrong = client.post(path, data={**data, "csrf": "not-the-cookie"}, follow_redirects=False)
    for r in (missing, wrong):
        assert r.status_code == 403
        assert 'data-error-code="csrf_failed"' in r.text


def test_csrf_and_session_cookies(client: TestClient, pages: Any) -> None:
    first = client.get("/")
    csrf = _set_cookies(first)["rc_csrf"]["rc_csrf"]
    assert not csrf["httponly"]  # our JS echoes it in X-CSRF-Token
    assert csrf["samesite"].lower() == "lax"
    assert "rc_csrf" not in _set_cookies(client.get("/"))  # set once, then kept
    r = pages.post("/register", {"username": "alice", "password": "password123",
                                 "password2": "password123"})  # fmt: skip
    cookies = _set_cookies(r)
    session = cookies["rc_session"]["rc_session"]
    assert session["httponly"]
    assert session["samesite"].lower() == "lax"
    assert cookies["rc_device"]["rc_device"]["httponly"]
    assert cookies["rc_csrf"]["rc_csrf"].value != csrf.value  # fresh token per sign-in


def test_cookie_api_writes_need_the_csrf_header(pages: Any, client: TestClient) -> None:
    pages.register()
    body = {"text": "hello"}
    assert client.post("/api/v1/scan", json=body).status_code == 403
    ok = client.post("/api/v1/scan", json=body, headers={"X-CSRF-Token": pages.csrf()})
    assert ok.status_code == 200


PAGES = ["/", "/login", "/register", "/scan", "/out?url=https%3A%2F%2Fexample.com",
         "/out?url=javascript%3Aalert(1)", "/scanned?text=x", "/no/such/page"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_and_no_inline_code(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "camera=(self)" in r.headers["permissions-policy"]
    assert not INLINE_SCRIPT.search(r.text)
    assert not INLINE_HANDLER.search(r.text)
    assert not STYLE_ATTR.search(r.text)
    for asset in re.findall(r'(?:src|href)="(/static/[^"?]+)', r.text):
        assert client.get(asset).status_code == 200, asset


def test_signed_in_pages_have_no_inline_code(pages: Any, client: TestClient) -> None:
    shop = pages.shop()
    for path in ["/dashboard", "/dashboard/m/tea-house", "/dashboard/m/tea-house/offers/new",
                 f"/dashboard/offers/{shop.offer_id}", f"/dashboard/offers/{shop.offer_id}/edit",
                 f"/C/{shop.token}", f"/offers/{shop.offer_id}", "/account/devices"]:  # fmt: skip
        r = client.get(path)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
        assert not INLINE_SCRIPT.search(r.text), path
        assert not INLINE_HANDLER.search(r.text), path
        assert not STYLE_ATTR.search(r.text), path


def test_foreign_links_are_never_rendered_as_script_links(client: TestClient) -> None:
    for url in ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,hi",
                "file:///etc/passwd", "java\tscript:alert(1)"]:  # fmt: skip
        r = client.get("/out", params={"url": url})
        assert r.status_code == 400
        assert 'data-link-state="refused"' in r.text
        hrefs = re.findall(r'href="([^"]*)"', r.text)
        assert not any(":" in h and not h.startswith(("/", "http")) for h in hrefs), hrefs
    ok = client.get("/out", params={"url": "https://paypal.com@evil.example/login"})
    assert ok.status_code == 200
    assert 'rel="noopener noreferrer nofollow"' in ok.text
    assert 'class="domain">evil.example' in ok.text
    idn = client.get("/out", params={"url": "https://xn--80ak6aa92e.com/"})
    assert "аррӏе.com" in idn.text
    assert 'class="domain">xn--80ak6aa92e.com' in idn.text
    assert "Open xn--80ak6aa92e.com" in idn.text


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    r = client.get("/dashboard/m/x?tab=1", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/dashboard/m/x%3Ftab%3D1")


def test_sign_in_next_stays_on_this_site(pages: Any, client: TestClient) -> None:
    pages.register()
    pages.post("/logout", {})
    for nxt, target in [
        ("/dashboard/m/x", "/dashboard/m/x"),
        ("//evil.example", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("https://evil.example", "/dashboard"),
    ]:
        r = pages.post("/login", {"username": "alice", "password": "password123", "next": nxt})
        assert (r.status_code, r.headers["location"]) == (303, target)  # fmt: skip


def test_wrong_credentials_get_one_message(pages: Any, client: TestClient) -> None:
    pages.register()
    pages.post("/logout", {})
    wrong = pages.post("/login", {"username": "alice", "password": "nope-nope"})
    unknown = pages.post("/login", {"username": "nobody", "password": "nope-nope"})
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert "Wrong username or password." in r.text
    assert "rc_session" not in _set_cookies(wrong)


def test_sign_in_is_rate_limited(pages: Any, settings: Any) -> None:
    for _ in range(settings.login_attempts_per_minute):
        assert pages.post("/login", {"username": "x", "password": "y"}).status_code == 401
    r = pages.post("/login", {"username": "x", "password": "y"})
    assert r.status_code == 429
    assert "Too many attempts" in r.text


def test_logout_revokes_the_session(pages: Any, client: TestClient) -> None:
    pages.register()
    secret = client.cookies["rc_session"]
    r = pages.post("/logout", {})
    assert (r.status_code, r.headers["location"]) == (303, "/")
    client.cookies.set("rc_session", secret)  # a copy kept by an attacker
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_signing_in_again_reuses_the_device(pages: Any, client: TestClient) -> None:
    pages.register()
    pages.post("/logout", {})
    pages.post("/login", {"username": "alice", "password": "password123"})
    devices = client.get("/account/devices")
    assert devices.text.count('action="/account/devices/') == 1
    uid = re.search(r'action="/account/devices/([^/]+)/revoke"', devices.text)
    assert uid
    assert pages.post(f"/account/devices/{uid.group(1)}/revoke", {}).status_code == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 303  # signed out


def test_registration_errors(pages: Any, client: TestClient) -> None:
    pages.register("alice")
    pages.post("/logout", {})
    cases = [
        ({"username": "alice", "password": "password123", "password2": "password123"},
         409, "That username is taken"),
        ({"username": "bob", "password": "password123", "password2": "password124"},
         422, "not the same"),
        ({"username": "a b", "password": "password123", "password2": "password123"},
         422, "Choose a username"),
        ({"username": "bob", "password": "short", "password2": "short"}, 422, "at least 8"),
    ]  # fmt: skip
    for data, status, message in cases:
        r = pages.post("/register", data)
        assert r.status_code == status, data
        assert message in r.text, data


def test_other_peoples_merchants_are_off_limits(pages: Any, client: TestClient) -> None:
    shop = pages.shop()
    pages.post("/logout", {})
    pages.register("mallory")
    for path in ["/dashboard/m/tea-house", f"/dashboard/offers/{shop.offer_id}",
                 f"/dashboard/offers/{shop.offer_id}/edit"]:  # fmt: skip
        assert client.get(path).status_code == 403, path
    r = pages.post(f"/dashboard/offers/{shop.offer_id}/status", {"action": "archive"})
    assert r.status_code == 403
    assert client.get(f"/C/{shop.token}").status_code == 200  # still live


def test_security_middleware_covers_other_responses() -> None:
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    from relaycode.web.security import SecurityHeadersMiddleware

    app = FastAPI()
    app.add_middleware(SecurityHeadersMiddleware)

    @app.get("/plain")
    def plain() -> PlainTextResponse:
        return PlainTextResponse("x", headers={"Referrer-Policy": "no-referrer"})

    with TestClient(app) as c:
        r = c.get("/plain")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["referrer-policy"] == "no-referrer"  # never overrides
        assert "script-src 'self'" in c.get("/docs").headers["content-security-policy"]

"""Fixtures for the page tests: a signed-in browser session through the HTML forms, a live
uvicorn server on a free loopback port, and Debian's Chromium driven by Playwright.

The root conftest provides ``settings`` (tmp data dir + the test database, SQLite or
PostgreSQL), ``app`` and ``client``; everything here builds on those.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from relaycode.app import create_app
from relaycode.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
CODE_TEXT = re.compile(r"HTTPS?://[A-Z0-9.:-]+/C/[A-Z2-7]{42}")
STARTUP_SECONDS = 20.0


@dataclass
class Shop:
    offer_id: int
    code_text: str

    @property
    def token(self) -> str:
        return self.code_text.rsplit("/", 1)[-1]


class Pages:
    """A TestClient used the way the HTML forms use the site (CSRF field included)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def csrf(self) -> str:
        """The double-submit token; a first page view sets it."""
        if "rc_csrf" not in self.client.cookies:
            assert self.client.get("/").status_code == 200
        token: str = self.client.cookies["rc_csrf"]
        return token

    def post(self, path: str, data: dict[str, Any], **kw: Any) -> Any:
        """POST a form with its CSRF field filled in; redirects are not followed."""
        body = {"csrf": self.csrf(), **data}
        return self.client.post(path, data=body, follow_redirects=False, **kw)

    def register(self, username: str = "alice", password: str = "password123") -> None:
        r = self.post("/register", {"username": username, "password": password,
                                    "password2": password})  # fmt: skip
        assert r.status_code == 303, r.text
        assert r.headers["location"] == "/dashboard"

    def shop(self, *, title: str = "Green tea 250 g", price: str = "12.50", **offer: Any) -> Shop:
        """Register, create a merchant and an offer, issue a code — all through the pages."""
        self.register()
        r = self.post("/dashboard/merchants", {"slug": "tea-house", "name": "Tea House"})
        assert r.status_code == 303, r.text
        fields = {"title": title, "price": price, "currency": "CNY", **offer}
        r = self.post("/dashboard/m/tea-house/offers/new", fields)
        assert r.status_code == 303, r.text
        offer_id = int(r.headers["location"].rsplit("/", 1)[-1])
        r = self.post(f"/dashboard/offers/{offer_id}/codes", {"channel": "poster"})
        assert r.status_code == 303, r.text
        page = self.client.get(f"/dashboard/offers/{offer_id}")
        match = CODE_TEXT.search(page.text)
        assert match, page.text
        return Shop(offer_id=offer_id, code_text=match.group(0))


@pytest.fixture
def pages(client: TestClient) -> Pages:
    return Pages(client)


# ---- live server and browser --------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: Any
    settings: Settings


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The real app under uvicorn in a thread, on a port the kernel picked."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    live_settings = settings.model_copy(update={"public_url": url})
    app = create_app(live_settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            pytest.fail("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=url, app=app, settings=live_settings)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def launch_chromium() -> Iterator[Callable[..., Any]]:
    """``launch(*extra_args)`` -> a Playwright Browser; all are closed afterwards."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    browsers: list[Any] = []
    with sync_playwright() as pw:

        def launch(*extra: str) -> Any:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra], timeout=30_000
            )
            browsers.append(browser)
            return browser

        try:
            yield launch
        finally:
            for browser in browsers:
                browser.close()


# ---- driving the pages in a real browser ---------------------------------------------


class UI:
    """Steps through the HTML forms with Playwright, the way a person would."""

    def register(self, page: Any, base: str, username: str, password: str = "password123") -> None:
        page.goto(base + "/register")
        page.fill("#f-username", username)
        page.fill("#f-display_name", username.title())
        page.fill("#f-password", password)
        page.fill("#f-password2", password)
        page.click("main form[action='/register'] button[type=submit]")
        page.wait_for_url("**/dashboard")

    def shop(
        self, page: Any, base: str, *, slug: str, title: str, image: Path | None = None
    ) -> dict[str, Any]:
        """Merchant, offer (with every field) and one code; returns ids and the code."""
        page.goto(base + "/dashboard")
        page.fill("#f-name", "Tea House" if slug.isascii() else slug)
        page.fill("#f-slug", slug)
        page.click("main form[action='/dashboard/merchants'] button[type=submit]")
        page.wait_for_url(f"**/dashboard/m/{slug}")
        page.click(f"a[href='/dashboard/m/{slug}/offers/new']")
        page.fill("#f-title", title)
        page.fill("#f-description", "First flush, hand-picked.\nBrew at 80 °C for 2 minutes.")
        page.fill("#f-price", "12.50")
        page.select_option("#f-currency", "CNY")
        page.fill("#f-gtin", "4006381333931")
        page.fill("#f-category", "Tea")
        page.fill("#f-region", "Hangzhou")
        page.check("input[name=payment_methods][value=card]")
        page.check("input[name=payment_methods][value=alipay]")
        page.fill("#f-web_link", "https://tea.example.com/longjing")
        page.fill("#f-valid_until", "2035-12-31T18:00")
        if image is not None:
            page.set_input_files("#f-image", str(image))
        page.click("main form[enctype] button[type=submit]")
        page.wait_for_url(re.compile(r"/dashboard/offers/\d+$"))
        offer_id = int(page.url.rsplit("/", 1)[-1])
        page.fill("#f-channel", "poster")
        page.click("main form.issue button[type=submit]")
        page.wait_for_url(re.compile(r"issued="))
        code_text = page.input_value("input.code-text")
        token = code_text.rsplit("/", 1)[-1]
        return {"slug": slug, "offer_id": offer_id, "code_text": code_text,
                "path": f"/C/{token}?seen=1"}  # fmt: skip


@pytest.fixture
def ui() -> UI:
    return UI()

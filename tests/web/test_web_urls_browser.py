"""Chromium itself reads every URL vector as our parser does, and the interstitial's
"Open" button leads where the page says it does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from relaycode.urls.whatwg import parse

pytestmark = pytest.mark.browser

VECTORS = Path(__file__).parents[1] / "vectors" / "urls" / "whatwg.json"
NEW_URL = """(inputs) => inputs.map((x) => {
  try { const u = new URL(x); return {href: u.href, host: u.host, hostname: u.hostname}; }
  catch (e) { return null; }
})"""
TIMEOUT_MS = 30_000


def test_chromium_agrees_with_our_parser_on_every_vector(launch_chromium: Any) -> None:
    cases = json.loads(VECTORS.read_text("utf-8"))["cases"]
    page = launch_chromium().new_page()
    readings = page.evaluate(NEW_URL, [c["input"] for c in cases])
    for case, chromium in zip(cases, readings, strict=True):
        url = parse(case["input"])
        ours = (
            None if url is None else {"href": url.href, "host": url.host, "hostname": url.hostname}
        )
        if "whatwg" in case:
            # A documented departure of Chromium from the URL Standard: still recorded, so
            # that a change on either side is noticed.
            assert (ours, chromium) == (case["whatwg"], case["chromium"]), case["input"]
        else:
            assert ours == chromium, case["input"]
            assert chromium == case["chromium"], case["input"]  # the file is up to date


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://evil.example\\@good.example/", "evil.example"),
        ("https:\\\\evil.example\\x", "evil.example"),
        ("http://0x7f.1:9/", "127.0.0.1:9"),
    ],
)
def test_open_goes_to_the_host_the_page_names(
    live_server: Any, launch_chromium: Any, url: str, host: str
) -> None:
    page = launch_chromium().new_page()
    requested: list[str] = []

    def capture(route: Any) -> None:
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>elsewhere</p>")

    # Nothing leaves the machine: every request off our server is answered here.
    page.route(lambda u: not u.startswith(live_server.url), capture)
    page.goto(f"{live_server.url}/out?url={quote(url, safe='')}", timeout=TIMEOUT_MS)
    shown = page.inner_text("p.domain")
    page.click("a.button.primary", timeout=TIMEOUT_MS)
    page.wait_for_url(lambda u: not u.startswith(live_server.url), timeout=TIMEOUT_MS)
    assert requested, "the link was not followed"
    opened = parse(requested[0])
    assert opened is not None and opened.host == host
    assert shown.replace("\n", "") == host

"""The /out interstitial names and opens the host a browser would go to, flags look-alike
hosts, and the language link always stays on this site and on this page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

SWITCH = re.compile(r'<a class="lang" href="([^"]+)"')
OPEN = re.compile(r'<a class="button primary" href="([^"]+)" rel="noopener')


def switch_link(text: str) -> str:
    match = SWITCH.search(text)
    assert match, text
    return html.unescape(match.group(1))


def test_a_backslash_url_is_shown_and_opened_as_the_browser_reads_it(client: TestClient) -> None:
    r = client.get("/out", params={"url": "https://evil.example\\@good.example/"})
    assert r.status_code == 200
    assert 'class="domain">evil.example<' in r.text
    assert "Open evil.example" in r.text
    opened = OPEN.search(r.text)
    assert opened and html.unescape(opened.group(1)) == "https://evil.example/@good.example/"
    assert 'class="domain">good.example' not in r.text


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://0x7f.1/", "127.0.0.1"),
        ("http://2130706433/", "127.0.0.1"),
        ("https:\\\\evil.example\\x", "evil.example"),
        ("HTTPS://EVIL.EXAMPLE:443/", "evil.example"),
        ("https://ＥＶＩＬ.example/", "evil.example"),  # full-width letters, mapped by UTS #46
    ],
)
def test_the_host_is_the_normalised_one(client: TestClient, url: str, host: str) -> None:
    r = client.get("/out", params={"url": url})
    assert f'class="domain">{host}<' in r.text
    opened = OPEN.search(r.text)
    assert opened and html.unescape(opened.group(1)).split("/")[2] == host


@pytest.mark.parametrize(
    ("url", "ascii_host", "imitates"),
    [
        ("https://ɑpple.com/", "xn--pple-p5b.com", "apple.com"),
        ("https://аррӏе.com/", "xn--80ak6aa92e.com", "apple.com"),
        ("https://faceboók.com/", "xn--facebok-q0a.com", "facebook.com"),
    ],
)
def test_look_alike_hosts_get_their_xn_form_and_a_warning(
    client: TestClient, url: str, ascii_host: str, imitates: str
) -> None:
    r = client.get("/out", params={"url": url})
    assert f'class="domain">{ascii_host}<' in r.text
    assert 'data-lookalike="1"' in r.text
    assert f"made to look like {imitates}" in r.text
    zh = client.get("/out", params={"url": url, "lang": "zh-CN"})
    assert f"它被伪装成 {imitates}" in zh.text


def test_a_look_alike_of_our_own_host_is_flagged(client: TestClient, settings: Any) -> None:
    assert settings.public_host == "RC.TEST"
    r = client.get("/out", params={"url": "https://rç.test/C/AAAA"})
    assert 'class="domain">xn--r-6fa.test<' in r.text
    assert "made to look like rc.test" in r.text
    honest = client.get("/out", params={"url": "https://例え.jp/"})
    assert 'class="domain">例え.jp<' in honest.text and 'data-lookalike="1"' not in honest.text


@pytest.mark.parametrize(
    "raw", ["//evil.example/x", "///evil.example/x", "/\\evil.example/x", "/\\/evil.example/x"]
)
def test_the_404_language_link_stays_on_this_site(client: TestClient, raw: str) -> None:
    r = client.get("http://testserver" + raw)
    assert r.status_code == 404
    target = switch_link(r.text)
    assert target.startswith("/") and target[1:2] not in ("/", "\\"), target
    assert "evil.example/x?lang=zh-CN" in target


def test_the_language_link_keeps_the_page_and_its_query(client: TestClient) -> None:
    r = client.get("/scanned?text=hello%20world&lang=en")
    assert switch_link(r.text) == "/scanned?text=hello+world&lang=zh-CN"
    r = client.get("/out?url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1")
    target = switch_link(r.text)
    assert target == "/out?url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1&lang=zh-CN"
    assert 'class="domain">example.com<' in client.get(target).text


def test_the_language_link_on_an_offer_page(pages: Any, client: TestClient) -> None:
    shop = pages.shop()
    target = switch_link(client.get(f"/offers/{shop.offer_id}").text)
    assert target == f"/offers/{shop.offer_id}?lang=zh-CN"
    assert '<html lang="zh-CN">' in client.get(target).text


def test_a_page_drawn_for_a_form_post_links_to_its_own_address(pages: Any) -> None:
    r = pages.post("/login", {"username": "nobody", "password": "wrong-password"})
    assert r.status_code in (400, 401, 422)
    assert switch_link(r.text) == "/login?lang=zh-CN"


def test_a_page_drawn_for_a_post_to_no_page_links_home(pages: Any) -> None:
    r = pages.post("/no/such/page", {})
    assert r.status_code in (404, 405)
    assert switch_link(r.text) == "/?lang=zh-CN"

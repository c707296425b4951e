"""The service worker and the web app manifest, as served (no browser): the worker's
scope covers the site, it pre-caches files that exist under the names pages use, and a
share page carries what offline-share.js needs."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from web.conftest import Pages


def test_service_worker_is_served_for_the_whole_site(client: TestClient) -> None:
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["service-worker-allowed"] == "/"
    assert r.headers["cache-control"] == "no-cache"
    version = re.search(r'const VERSION = "([0-9a-f]{12})";', r.text)
    assets = re.search(r"const ASSETS = (\[.*?\]);", r.text)
    assert version and assets
    urls: list[str] = json.loads(assets.group(1))
    assert "/static/share-code.js" in urls and "/static/vendor/qrcode-generator.js" in urls
    assert any(u.startswith("/static/offline-share.js?v=") for u in urls)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_manifest(client: TestClient) -> None:
    r = client.get("/manifest.webmanifest", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/manifest+json")
    doc: dict[str, Any] = r.json()
    assert doc["start_url"] == "/me/codes" and doc["scope"] == "/"
    assert doc["display"] == "standalone" and doc["lang"] == "zh-CN"
    assert client.get(doc["icons"][0]["src"]).status_code == 200
    page = client.get("/")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text


def test_share_pages_load_the_offline_tool_for_a_signed_in_browser(pages: Pages) -> None:
    shop = pages.shop()
    page = pages.client.get(f"/offers/{shop.offer_id}")
    assert page.status_code == 200
    assert re.search(r'data-device-pid="[0-9a-f]{16}"', page.text)
    assert "/static/offline-share.js?v=" in page.text
    mine = pages.client.get("/me/codes")
    assert "data-offline-made" in mine.text and "/static/offline-share.js?v=" in mine.text
    pages.client.cookies.clear()
    signed_out = pages.client.get(f"/offers/{shop.offer_id}")
    assert "data-device-pid" not in signed_out.text
    assert "offline-share.js" not in signed_out.text

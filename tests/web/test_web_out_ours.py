"""``/out`` and the scan API agree on what is ours: one list of our hosts, one classifier.

``/out?url=<one of our code links>`` used to show the "not ours" interstitial while
``POST /api/v1/scan`` said ``ours`` for the same text.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient
from helpers import issue, merchant_with_offer, register


def test_our_code_link_goes_to_our_page(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    text = issue(client, token, offer["id"])
    for spelling in (text, text.lower().replace("https://rc.test", "HTTPS://RC.TEST"), text + "/"):
        scan = client.post("/api/v1/scan", json={"text": spelling}).json()
        assert scan["verdict"] == "ours", (spelling, scan)
        r = client.get("/out?url=" + quote(spelling, safe=""), follow_redirects=False)
        assert r.status_code == 303, (spelling, r.text[:200])
        body = text.rsplit("/", 1)[-1]
        assert r.headers["location"] == f"/C/{body}"
        page = client.get(r.headers["location"])
        assert page.status_code == 200 and "data-link-state" not in page.text
        assert offer["title"] in page.text


def test_broken_code_on_our_host_is_refused_as_ours(client: TestClient) -> None:
    url = "https://rc.test/C/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    scan = client.post("/api/v1/scan", json={"text": url}).json()
    assert scan["verdict"] == "ours_invalid"
    r = client.get("/out?url=" + quote(url, safe=""), follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/scan/invalid?reason={scan['reason']}"


def test_foreign_links_still_get_the_interstitial(client: TestClient) -> None:
    for url in ("https://example.com/C/x", "https://evil.example\\@rc.test/C/x"):
        assert client.post("/api/v1/scan", json={"text": url}).json()["verdict"] == "foreign_url"
        r = client.get("/out?url=" + quote(url, safe=""), follow_redirects=False)
        assert r.status_code == 200 and 'data-link-state="openable"' in r.text

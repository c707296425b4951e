"""/docs keeps the strict CSP of every page, and Swagger UI still works under it (Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from relaycode.web.security import CSP


def test_docs_have_the_page_headers(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text  # no inline script for the CSP to allow
    init = client.get(r.text.split('src="')[-1].split('"')[0])
    assert init.status_code == 200 and "SwaggerUIBundle" in init.text


@pytest.mark.browser
def test_docs_render_operations_without_csp_violations(
    live_server: Any, launch_chromium: Any
) -> None:
    browser = launch_chromium()
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else 0)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(live_server.url + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    assert page.locator(".opblock").count() > 10
    page.locator(".opblock-summary").first.click()  # expanding an operation renders more
    page.wait_for_selector(".opblock-body", timeout=30_000)
    csp = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
    assert not csp, csp
    assert not problems, problems

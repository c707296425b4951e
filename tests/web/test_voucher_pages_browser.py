"""Real Chromium on a phone, in both languages: a shop owner makes a payment code (its QR
loads from the API's image route), a customer asks for a service, the owner completes
it, and the customer opens the voucher from their requests. Every page fits the screen;
screenshots of the three pages (RELAYCODE_SHOTS_DIR keeps them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
SIZE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
NAMES = {"en": "Cafe Lu", "zh-CN": "路咖啡"}


def _context(browser: Any, lang: str) -> Any:
    ctx = browser.new_context(
        viewport=SIZE, device_scale_factor=2, locale=lang, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZE["width"]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_payment_code_and_service_voucher(
    live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path, lang: str
) -> None:
    base = live_server.url
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    browser = launch_chromium()
    owner, ann = _context(browser, lang).new_page(), _context(browser, lang).new_page()
    for p in (owner, ann):
        p.on("dialog", lambda d: d.accept())  # the confirmations
    ui.register(owner, base, "owner")
    owner.fill("#f-name", NAMES[lang])
    owner.fill("#f-slug", "cafe")
    owner.click("main form[action='/dashboard/merchants'] button[type=submit]")
    owner.wait_for_url("**/dashboard/m/cafe")

    # A payment code: made through the form, its QR drawn by the API's image route.
    owner.click("[data-payment-codes-link]")
    owner.wait_for_url("**/payment-codes")
    owner.fill("#f-label", "Till 1" if lang == "en" else "1 号收银台")
    owner.check("input[name=methods][value=wallet]")
    owner.click("[data-new-payment-code] button[type=submit]")
    owner.wait_for_selector("[data-notice=made]")
    qr = owner.locator("[data-qr]")
    for _ in range(100):  # wait_for_function evaluates a string, which the CSP refuses
        if qr.evaluate("img => img.complete && img.naturalWidth > 0"):
            break
        owner.wait_for_timeout(100)
    assert qr.evaluate("img => img.naturalWidth") > 0
    _fits(owner)
    owner.screenshot(path=str(out / f"{lang}-payment-codes.png"), full_page=True)

    # The customer asks for a service, naming the shop by its short name.
    ui.register(ann, base, "ann")
    ann.goto(base + "/me/service-requests")
    ann.fill("#f-merchant", "cafe")
    ann.click("[data-choose-merchant] button[type=submit]")
    ann.wait_for_selector("[data-chosen-merchant=cafe]")
    _fits(ann)
    ann.screenshot(path=str(out / f"{lang}-ask-service.png"), full_page=True)
    ann.fill("#f-description", "Descale my espresso machine" if lang == "en" else "咖啡机除垢")
    ann.click("[data-ask-service] button[type=submit]")
    ann.wait_for_selector("[data-notice=asked]")
    _fits(ann)

    # The owner completes it: the voucher is issued.
    owner.click("a[href='/dashboard/m/cafe']")
    owner.click("[data-service-requests-link]")
    owner.wait_for_url("**/service-requests")
    owner.click("[data-action=complete]")
    owner.wait_for_selector("[data-notice=completed]")
    voucher = owner.get_attribute("[data-voucher]", "data-voucher")
    assert voucher
    _fits(owner)
    owner.screenshot(path=str(out / f"{lang}-service-requests.png"), full_page=True)

    ann.goto(base + "/me/service-requests")
    link = ann.locator(f"[data-voucher-link='{voucher}']")
    link.wait_for()
    _fits(ann)
    ann.screenshot(path=str(out / f"{lang}-my-service-requests.png"), full_page=True)
    link.click()
    ann.wait_for_url(f"**/me/credentials/{voucher}")
    assert ann.locator("h1").inner_text().strip()

"""Real Chromium on a phone: a number entered, the code read from the SMS file (the file
backend's "phone"), typed in, and the number shown verified and masked. Both languages,
with screenshots of each step (RELAYCODE_SHOTS_DIR keeps them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from phone_support import PHONE, last_code

pytestmark = pytest.mark.browser
SIZE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


def _shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_verify_a_phone_number(
    live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path, lang: str
) -> None:
    browser = launch_chromium()
    ctx = browser.new_context(
        viewport=SIZE, device_scale_factor=2, locale=lang, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    out = _shots(tmp_path)
    ui.register(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/account/phone?lang={lang}")
    assert page.locator("[data-phone-state=enter]").count() == 1
    page.fill("#f-phone", "138 0013 8000")
    page.screenshot(path=str(out / f"{lang}-phone-enter.png"), full_page=True)
    page.click("form[action='/account/phone'] button[type=submit]")
    page.locator("[data-phone-state=pending]").wait_for()
    assert "138****8000" in page.locator("[data-phone-state=pending]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZE["width"]
    page.screenshot(path=str(out / f"{lang}-phone-code.png"), full_page=True)

    page.fill("#f-code", last_code(live_server.settings.data_dir, PHONE))
    page.click("form[action='/account/phone/verify'] button[type=submit]")
    page.locator("[data-phone-state=verified]").wait_for()
    assert page.locator("[data-phone-masked]").inner_text() == "+86 138****8000"
    assert "13800138000" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZE["width"]
    page.screenshot(path=str(out / f"{lang}-phone-verified.png"), full_page=True)
    ctx.close()

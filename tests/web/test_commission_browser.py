"""The commission rules editor in headless Chromium at phone size: the levels follow the
chosen depth and the worked example follows every keystroke, without a reload.

Screenshots land in ``tmp_path``, or in ``RELAYCODE_SHOTS_DIR`` when it is set."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def _out(tmp_path: Path) -> Path:
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _example(page: Any) -> str:
    text: str = page.inner_text("[data-commission-example]")
    return text


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_rules_editor_updates_its_example_live(
    live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path, lang: str
) -> None:
    out = _out(tmp_path)
    browser = launch_chromium()
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, locale=lang, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.on("dialog", lambda d: d.accept())
    base = live_server.url
    ui.register(page, base, "merchant")
    shop = ui.shop(page, base, slug="tea-house", title="Green tea 250 g")
    page.goto(f"{base}/dashboard/m/tea-house?lang={lang}")
    page.click("a[href='/dashboard/m/tea-house/commissions']")
    page.wait_for_url("**/commissions")
    page.wait_for_selector("form[data-live='1']")  # the script is running
    # One level paid by default: the others are hidden and not sent.
    assert page.is_visible("#f-level_1_percent")
    assert not page.is_visible("#f-level_2_percent")
    assert page.is_hidden("[data-preview-button]")
    page.select_option("#f-max_depth", "2")
    assert page.is_visible("#f-level_2_percent") and not page.is_visible("#f-level_3_percent")
    page.fill("#f-level_1_percent", "10")
    page.fill("#f-level_2_percent", "5")
    level_1 = "level 1 earns CN¥19.90" if lang == "en" else "第 1 级获得 ¥19.90"
    level_2 = "level 2 earns CN¥9.95" if lang == "en" else "第 2 级获得 ¥9.95"
    page.wait_for_function(
        "([a, b]) => { const t = document.querySelector('[data-commission-example]')"
        ".innerText; return t.includes(a) && t.includes(b); }",
        arg=[level_1, level_2],
    )
    page.fill("#f-cap", "25")
    capped = "CN¥25.00" if lang == "en" else "¥25.00"
    page.wait_for_function(
        "c => document.querySelector('[data-commission-example]').innerText.includes(c)",
        arg=capped,
    )
    page.fill("#f-cap", "")
    page.fill("#f-level_1_percent", "abc")
    page.wait_for_selector("[data-commission-example] .commission-problems")
    page.fill("#f-level_1_percent", "10")
    page.wait_for_function(
        "a => document.querySelector('[data-commission-example]').innerText.includes(a)",
        arg=level_1,
    )
    page.screenshot(path=str(out / f"{lang}-commission-rules.png"), full_page=True)
    with page.expect_navigation():
        page.click("main form[data-commission-form] button.primary")
    assert page.is_visible("[data-saved]")
    assert page.input_value("#f-level_2_percent") == "5"
    # The offer's admin page says what a sale of it pays, and links to its own rules.
    page.goto(f"{base}/dashboard/offers/{shop['offer_id']}")
    summary = page.inner_text("[data-commission-summary]")
    price_line = "level 1 earns CN¥1.25" if lang == "en" else "第 1 级获得 ¥1.25"
    assert price_line in summary  # 10 % of the offer's ¥12.50
    page.screenshot(path=str(out / f"{lang}-commission-offer-admin.png"), full_page=True)
    page.click(f"a[href='/dashboard/offers/{shop['offer_id']}/commissions']")
    page.wait_for_selector("form[data-live='1']")
    page.fill("#f-level_1_percent", "20")
    own = "level 1 earns CN¥2.50" if lang == "en" else "第 1 级获得 ¥2.50"
    page.wait_for_function(
        "a => document.querySelector('[data-commission-example]').innerText.includes(a)",
        arg=own,
    )
    page.screenshot(path=str(out / f"{lang}-commission-offer-override.png"), full_page=True)
    if lang == "en":
        wide = browser.new_context(viewport=WIDE, locale=lang, storage_state=ctx.storage_state())
        wpage = wide.new_page()
        wpage.goto(f"{base}/dashboard/m/tea-house/commissions")
        wpage.wait_for_selector("form[data-live='1']")
        box = wpage.locator(".commission-example").bounding_box()
        levels = wpage.locator(".commission-levels").bounding_box()
        assert box is not None and levels is not None and box["x"] > levels["x"] + 200
        wpage.screenshot(path=str(out / "en-commission-rules-wide.png"), full_page=True)

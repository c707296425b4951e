"""The analytics pages in headless Chromium at phone size, both languages: the charts and
a ~300-node referral tree are drawn, nothing breaks the CSP, nothing overflows the page's
width. Screenshots go to ``RELAYCODE_SHOTS_DIR`` when set (else a temporary directory)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from analytics.world import demo

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_analytics_pages_in_a_phone_browser(
    live_server: Any, launch_chromium: Any, tmp_path: Path, lang: str
) -> None:
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    world = demo(live_server.app)
    assert world["nodes"] >= 300
    browser = launch_chromium()
    base = live_server.url

    def context(who: str) -> Any:
        ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, locale=lang,
                                  is_mobile=True, has_touch=True)  # fmt: skip
        ctx.set_default_timeout(15_000)
        ctx.add_cookies([{"name": "rc_session", "value": world[who], "url": base},
                         {"name": "rc_lang", "value": lang, "url": base}])  # fmt: skip
        return ctx

    problems: list[str] = []

    def watch(page: Any) -> Any:
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    def fits(page: Any) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (page.url, width)

    owner = watch(context("owner").new_page())
    owner.goto(f"{base}/dashboard/m/{world['slug']}/analytics")
    assert owner.locator("svg.line-chart").count() == 2
    assert owner.locator("svg.bar-chart rect.bar").count() >= 3
    assert int(owner.locator("[data-figure=orders]").first.inner_text()) > 0
    fits(owner)
    owner.screenshot(path=str(out / f"{lang}-analytics.png"), full_page=True)
    owner.click("a[href*='group=referrer']")
    owner.wait_for_load_state("load")
    assert owner.locator(".an-row").count() > 10
    owner.screenshot(path=str(out / f"{lang}-analytics-referrers.png"), full_page=False)

    owner.goto(f"{base}/dashboard/offers/{world['offer_id']}/tree")
    nodes = owner.locator("svg.tree g.node")
    assert 30 < nodes.count() <= 601
    assert owner.locator("svg.tree g.n-more").count() >= 1  # the quiet tail is folded
    assert owner.locator(".tree-list li").count() == world["nodes"]
    fits(owner)
    owner.screenshot(path=str(out / f"{lang}-tree.png"), full_page=False)
    owner.locator(".an-tree-scroll").screenshot(path=str(out / f"{lang}-tree-picture.png"))
    owner.evaluate("document.querySelector('.an-tree-scroll').style.maxHeight = 'none'")
    owner.locator("svg.tree").screenshot(path=str(out / f"{lang}-tree-folded.png"))
    owner.goto(f"{base}/dashboard/offers/{world['offer_id']}/tree?all=1")
    assert owner.locator("svg.tree g.node").count() == world["nodes"] + 1  # + the offer
    owner.evaluate("document.querySelector('.an-tree-scroll').style.maxHeight = 'none'")
    owner.locator("svg.tree").screenshot(path=str(out / f"{lang}-tree-all.png"))

    alice = watch(context("alice").new_page())
    alice.goto(f"{base}/me/earnings")
    assert alice.locator("[data-status=available]").count() == 1
    assert alice.locator(".an-row").count() >= 1
    fits(alice)
    alice.screenshot(path=str(out / f"{lang}-earnings.png"), full_page=True)
    alice.goto(f"{base}/me/codes")
    assert alice.locator("[data-scans]").count() >= 1
    assert not problems, problems

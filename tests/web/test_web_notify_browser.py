"""Real Chromium: a notification committed elsewhere appears on the open inbox page and
in the nav badge of any other page without a reload; live.js dispatches rc:event."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from relaycode.identity import repository as id_repo
from relaycode.notify.service import notify_user

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
SHOTS = os.environ.get("RELAYCODE_SHOTS_DIR")


def _notify(live: Any, username: str, kind: str, data: dict[str, Any]) -> int:
    state = live.app.state.rc
    with state.db.transaction() as db:
        user = id_repo.user_by_username(db, username)
        assert user is not None
        return notify_user(db, user.id, kind, data).id


def test_the_inbox_updates_live(
    live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path
) -> None:
    browser = launch_chromium()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    ui.register(page, live_server.url, "alice")
    # Another page of the same user, e.g. a future "my earnings" page: it listens.
    context.add_init_script(
        "window.got = []; document.addEventListener('rc:event', (e) => window.got.push(e.detail));"
    )
    other = context.new_page()
    other.goto(live_server.url + "/dashboard")
    page.goto(live_server.url + "/inbox")
    page.wait_for_selector("[data-rc-live].is-live")
    other.wait_for_function("() => window.got.some((d) => d.event === 'hello')")
    assert page.locator("[data-rc-inbox-list] li").count() == 0
    data = {
        "order_id": 42,
        "amount_minor": 1250,
        "currency": "CNY",
        "offer_title": "龙井 250 g",
        "level": 1,
        "url": "/inbox",
    }
    item_id = _notify(live_server, "alice", "commission_earned", data)
    row = page.locator(f"[data-rc-inbox-list] li[data-id='{item_id}']")
    row.wait_for()
    assert "获得佣金" in row.inner_text() and "¥12.50" in row.inner_text()
    assert page.locator("[data-rc-unread]").first.inner_text() == "1"
    other.wait_for_function("() => window.got.some((d) => d.event === 'inbox')")
    detail = other.evaluate("() => window.got.find((d) => d.event === 'inbox')")
    assert detail["kind"] == "commission_earned" and detail["data"]["order_id"] == 42
    assert other.locator("[data-rc-unread]").first.inner_text() == "1"
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "inbox-live-zh.png"), full_page=True)
    # Marking it read on the inbox page updates the other page's badge live.
    row.locator("button[type=submit]").click()
    page.wait_for_url("**/inbox")
    other.wait_for_function("() => document.querySelector('[data-rc-unread]').hidden === true")
    context.close()


@pytest.mark.skipif(not SHOTS, reason="set RELAYCODE_SHOTS_DIR to take screenshots")
def test_webhook_pages_screenshots(live_server: Any, launch_chromium: Any, ui: Any) -> None:
    assert SHOTS
    browser = launch_chromium()
    for lang in ("en", "zh-CN"):
        context = browser.new_context(viewport=PHONE, is_mobile=True, locale=lang)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        name = "owner" + lang[:2]
        ui.register(page, live_server.url, name)
        page.goto(live_server.url + "/dashboard")
        page.fill("#f-name", "Tea House")
        page.fill("#f-slug", f"tea-{lang[:2]}")
        page.click("main form[action='/dashboard/merchants'] button[type=submit]")
        page.wait_for_url(f"**/dashboard/m/tea-{lang[:2]}")
        page.goto(f"{live_server.url}/dashboard/m/tea-{lang[:2]}/webhooks")
        page.fill("#f-url", "https://hooks.example.com/relaycode")
        page.check("input[name=events][value='order.paid']")
        page.check("input[name=events][value='order.fulfilled']")
        page.click("main form.form button[type=submit]")
        page.wait_for_selector("[data-new-secret]")
        page.screenshot(path=str(Path(SHOTS) / f"webhooks-{lang}.png"), full_page=True)
        page.click("a:has-text('Delivery log'), a:has-text('投递记录')")
        page.click("main form button[type=submit]")  # send a test event
        page.wait_for_selector(".delivery")
        page.screenshot(path=str(Path(SHOTS) / f"webhook-log-{lang}.png"), full_page=True)
        context.close()

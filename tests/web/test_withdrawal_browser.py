"""Real Chromium on a phone: the wallet's commissions follow along live (a commission
earned elsewhere shows without a reload), a withdrawal is requested through the form,
and an operator approves it on /admin/withdrawals. Screenshots of each, both languages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from commission_support import adopt, earned_available, make_operator, make_shop, pay_order, rules

from relaycode.db.session import Database

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


def _shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_commissions_withdrawal_and_approval(
    live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path, lang: str
) -> None:
    db: Database = live_server.app.state.rc.db
    browser = launch_chromium()
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, locale=lang, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_init_script(
        "window.got = []; document.addEventListener('rc:event', (e) => window.got.push(e.detail));"
    )
    page = ctx.new_page()
    ui.register(page, live_server.url, "alice")
    shop = make_shop(db, rules(1000, hold_days=0), people=("buyer",))
    adopt(db, shop, "alice")
    earned_available(db, shop, "alice", 25_000, times=2)  # CN¥50.00 available
    page.goto(f"{live_server.url}/wallet?lang={lang}")
    page.wait_for_function("() => window.got.some((d) => d.event === 'hello')")
    avail = page.locator("[data-commission-available]")
    assert avail.get_attribute("data-commission-available") == "5000"
    before = page.locator("[data-commission]").count()
    # A new sale through alice's share, committed by another process: shows live.
    with db.transaction() as s:
        pay_order(s, shop, "buyer", ["alice"], 12_345)
    page.locator("[data-commission-pending='1234']").wait_for()
    assert page.locator("[data-commission]").count() == before + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    out = _shots(tmp_path)
    page.screenshot(path=str(out / f"{lang}-wallet-commissions.png"), full_page=True)
    # Withdraw CN¥30 through the form.
    page.fill("#f-amount", "30")
    page.fill("#f-payout_details", "Alipay 138 0000 0000")
    page.click("form[data-withdraw-form] button[type=submit]")
    page.wait_for_url("**/wallet#withdrawals-h")
    assert page.locator("[data-withdrawal][data-status=requested]").count() == 1
    assert (
        page.locator("[data-commission-available]").get_attribute("data-commission-available")
        == "2000"
    )
    page.screenshot(path=str(out / f"{lang}-wallet-withdrawal.png"), full_page=True)
    # The operator approves it.
    op_ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, locale=lang, is_mobile=True)
    op_ctx.set_default_timeout(TIMEOUT_MS)
    op = op_ctx.new_page()
    ui.register(op, live_server.url, "operator")
    make_operator(db, "operator")
    op.goto(f"{live_server.url}/admin/withdrawals?lang={lang}")
    assert op.locator("[data-withdrawal]").count() == 1
    assert op.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    op.screenshot(path=str(out / f"{lang}-admin-withdrawals.png"), full_page=True)
    op.on("dialog", lambda d: d.accept())
    op.fill("[name=note]", "paid 2024-05-01")
    op.click("form.withdraw-decide button[type=submit]")
    op.wait_for_url("**/admin/withdrawals?status=requested")
    assert op.locator("[data-withdrawal]").count() == 0
    # Alice's open wallet page follows: the withdrawal shows as paid out.
    page.locator("[data-withdrawal][data-status=approved]").wait_for()
    op_ctx.close()
    ctx.close()

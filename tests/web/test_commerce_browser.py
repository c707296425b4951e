"""Referral commerce end to end in real Chromium (issue 6, §8): A shares an offer, B opens
A's code in a second browser context and buys it with the wallet, and A's inbox — open
since before the purchase — shows the commission without a reload (Server-Sent Events);
then the merchant refunds the order in the dashboard and A sees the commission reversed.

Also: every order page screenshotted at a phone's size in English and Chinese
(``RELAYCODE_SHOTS_DIR=/tmp/shots`` keeps them; they are taken anyway).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import later_provider
import pytest
from commerce_world import PASSWORD, SLUG, seed
from live import live_app
from sqlalchemy import select

from relaycode.models import Order, PaymentAttempt
from relaycode.payments.attempts import apply_status

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000
CODE_TEXT = re.compile(r"HTTPS?://[A-Z0-9.:-]+/C/[A-Z2-7]{42}")
ORDERS = f"/dashboard/m/{SLUG}/orders"


def context(browser: Any, lang: str) -> Any:
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale=lang)
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def new_page(ctx: Any) -> Any:
    page = ctx.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: d.accept())  # the confirmations of fulfil and refund
    page.problems = problems
    return page


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form[action='/login'] button[type=submit]")


def shot(page: Any, tmp_path: Path, name: str) -> Path:
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"commerce-{name}.png"
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path


def test_share_buy_commission_live_then_refund_reverses_it(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    base = live_server.url
    world = seed(live_server.app.state.rc)
    browser = launch_chromium()

    # A (in Chinese) signs in, opens the offer and shares it.
    a_ctx = context(browser, "zh-CN")
    a = new_page(a_ctx)
    sign_in(a, base, "alice")
    a.goto(f"{base}/offers/{world.offer_id}")
    a.click("[data-action=share]")
    shown = a.locator("[data-code-text]")
    shown.wait_for(state="visible")
    a.wait_for_function(
        "() => document.querySelector('[data-code-text]').textContent.includes('/C/')"
    )
    child = shown.inner_text().strip()
    assert CODE_TEXT.fullmatch(child), child
    # A's inbox, open before anything is bought: it must fill in by itself.
    inbox = new_page(a_ctx)
    inbox.goto(base + "/inbox")
    inbox.wait_for_selector("[data-rc-live].is-live")
    inbox.evaluate("() => { window.notReloaded = true; }")
    assert inbox.locator("[data-rc-inbox-list] li").count() == 0

    # B (in English), another browser context, opens A's code and buys it with the wallet.
    b_ctx = context(browser, "en")
    b = new_page(b_ctx)
    sign_in(b, base, "bob")
    b.goto(base + "/C/" + child.rsplit("/", 1)[-1])
    assert b.locator("[data-shared-by] .sharer").inner_text() == "Shared by Alice"
    assert "Alice" in b.locator("[data-buy-via]").inner_text()
    assert b.locator("input[name=payment_method][value=wallet]").is_checked()
    shot(b, tmp_path, "1-share-page-buy-form")
    with b.expect_navigation():
        b.click("[data-buy-form] [data-action=buy]")
    assert re.search(r"/orders/\d+$", b.url), b.url
    assert b.locator("[data-order-badge]").get_attribute("data-order-badge") == "paid"
    assert "CN¥128.00" in b.locator("[data-order-amount]").inner_text()
    shot(b, tmp_path, "2-order-paid")

    # A's inbox shows the commission (10 % of ¥128.00) without a reload.
    earned = inbox.locator("[data-rc-inbox-list] li[data-kind=commission_earned]")
    earned.wait_for()
    assert "¥12.80" in earned.inner_text()
    assert inbox.evaluate("() => window.notReloaded") is True
    shot(inbox, tmp_path, "3-referrer-inbox-earned")

    state = live_server.app.state.rc
    with state.db.transaction() as db:
        (order,) = db.scalars(select(Order))
        order_id = order.id
        assert order.attributed_code_id is not None

    # The merchant refunds the order in the dashboard.
    m_ctx = context(browser, "en")
    m = new_page(m_ctx)
    sign_in(m, base, "merchant")
    m.goto(base + f"/dashboard/m/{SLUG}")
    with m.expect_navigation():
        m.click("[data-merchant-orders-link]")
    row = m.locator(f"[data-merchant-orders] tr[data-order='{order_id}']")
    assert row.get_attribute("data-status") == "paid"
    shot(m, tmp_path, "4-merchant-orders")
    with m.expect_navigation():
        row.locator(f"a[href='{ORDERS}/{order_id}']").first.click()
    with m.expect_navigation():
        m.click("[data-action=refund-full]")
    m.wait_for_selector("[data-notice]")
    assert m.locator("[data-merchant-order]").get_attribute("data-status") == "refunded"
    shot(m, tmp_path, "5-merchant-refunded")

    # A sees the commission reversed, still without a reload.
    reversed_ = inbox.locator("[data-rc-inbox-list] li[data-kind=commission_reversed]")
    reversed_.wait_for()
    assert "¥12.80" in reversed_.inner_text()
    assert inbox.evaluate("() => window.notReloaded") is True
    shot(inbox, tmp_path, "6-referrer-inbox-reversed")
    for page in (a, inbox, b, m):
        assert page.problems == [], page.problems
    for ctx in (a_ctx, b_ctx, m_ctx):
        ctx.close()


def test_order_pages_at_a_phones_size(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    """Each page drawn in both languages, with nothing wider than the phone."""
    base = live_server.url
    world = seed(live_server.app.state.rc)
    browser = launch_chromium()
    for lang in ("en", "zh-CN"):
        ctx = context(browser, lang)
        b = new_page(ctx)
        sign_in(b, base, "bob")
        b.goto(f"{base}/offers/{world.physical_offer_id}?lang={lang}")
        assert b.locator("[data-buy-address]").is_visible()
        b.fill("#f-address_name", "Bob Li")
        b.fill("#f-address_phone", "+86 139 0000 0000")
        b.fill("#f-address_line1", "1 West Lake Road")
        b.fill("#f-address_city", "Hangzhou")
        b.fill("input[name=quantity]", "99")  # more than the wallet holds
        assert "35,640" in b.locator("[data-buy-total]").inner_text()
        shot(b, tmp_path, f"{lang}-offer-physical")
        fits(b)
        with b.expect_navigation():
            b.click("[data-buy-form] [data-action=buy]")  # refused: the checkout page
        assert b.locator(".alert-error").is_visible()
        assert b.input_value("#f-address_city") == "Hangzhou"  # the form as it was sent
        shot(b, tmp_path, f"{lang}-checkout-refused")
        b.problems.remove(
            "Failed to load resource: the server responded with a status of 409 (Conflict)"
        )
        fits(b)
        b.fill("input[name=quantity]", "1")  # CN¥360.00 of the CN¥1,000.00, in each language
        with b.expect_navigation():
            b.click("[data-buy-form] [data-action=buy]")
        assert re.search(r"/orders/\d+$", b.url), b.locator("main").inner_text()
        shot(b, tmp_path, f"{lang}-order")
        fits(b)
        b.goto(f"{base}/me/orders")
        assert b.locator("[data-my-orders] li").count() >= 1
        shot(b, tmp_path, f"{lang}-my-orders")
        fits(b)
        ctx.close()

        mctx = context(browser, lang)
        m = new_page(mctx)
        sign_in(m, base, "merchant")
        m.goto(f"{base}{ORDERS}?lang={lang}")
        shot(m, tmp_path, f"{lang}-merchant-orders")
        fits(m)
        m.locator("[data-merchant-orders] tbody tr a").first.click()
        m.wait_for_selector("[data-refund]")
        shot(m, tmp_path, f"{lang}-merchant-order")
        fits(m)
        mctx.close()


def fits(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width)
    assert page.problems == [], page.problems


def test_the_order_page_follows_a_payment_that_settles_later(
    settings: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    """An order paid through a provider that answers later (Alipay, WeChat Pay: here a
    stand-in): its page shows it pending, then paid the moment the payment settles,
    without a reload (the buyer's inbox event over SSE; static/order.js)."""
    later = {"payment_providers": {"wallet": "wallet", "alipay": later_provider.SETTING}}
    with live_app(settings.model_copy(update=later)) as (base, app):
        state = app.state.rc
        world = seed(state, methods=("alipay",))
        ctx = context(launch_chromium(), "zh-CN")
        b = new_page(ctx)
        sign_in(b, base, "bob")
        b.goto(f"{base}/offers/{world.offer_id}")
        assert b.locator("input[name=payment_method][value=alipay]").is_checked()
        with b.expect_navigation():
            b.click("[data-buy-form] [data-action=buy]")
        badge = b.locator("[data-order-badge]")
        assert badge.get_attribute("data-order-badge") == "pending"
        b.wait_for_selector("[data-rc-live].is-live")
        b.evaluate("() => { window.notReloaded = true; }")
        shot(b, tmp_path, "zh-CN-order-pending")
        with state.db.transaction() as db:  # the provider's notification, as it were
            (attempt,) = db.scalars(select(PaymentAttempt))
            apply_status(db, attempt, "succeeded", source="test")
        b.wait_for_selector("[data-order-badge=paid]")
        assert b.evaluate("() => window.notReloaded") is True
        assert "已付款" in b.locator("[data-payment-state]").inner_text()
        assert b.locator("[data-order-announce]").inner_text() == "订单状态已更新。"
        shot(b, tmp_path, "zh-CN-order-paid-live")
        fits(b)
        ctx.close()

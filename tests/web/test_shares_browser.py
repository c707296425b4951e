"""Sharing in real Chromium: A signs in, opens an offer, presses Share and gets a code;
a second browser opens that code and sees who shared it and their review; a signed-out
reader is sent to sign in and back, and shares on return; offline, the page hands the
parent code to the offline hook and shows what it makes.

``RELAYCODE_SHOTS_DIR=/tmp/shots`` also keeps the screenshots (they are taken anyway).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from relaycode.catalog import service as catalog
from relaycode.catalog.schemas import OfferCreate
from relaycode.codes import service as codes
from relaycode.identity import service as identity
from relaycode.identity.schemas import RegisterIn
from relaycode.merchants import service as merchants
from relaycode.models import Code

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000
PASSWORD = "relaycode-demo"
REVIEW = "Bright and nutty; brew it at 80 °C."
CODE_TEXT = re.compile(r"HTTPS?://[A-Z0-9.:-]+/C/[A-Z2-7]{42}")


def seed(live: Any) -> dict[str, Any]:
    """A shop with one offer and its code, and two readers, made with the services."""
    state = live.app.state.rc
    with state.db.transaction() as db:
        owner = identity.register(
            db, state.passwords, RegisterIn(username="merchant", password=PASSWORD)
        )
        for name in ("alice", "bob"):
            data = RegisterIn(username=name, password=PASSWORD, display_name=name.title())
            identity.register(db, state.passwords, data)
        merchant = merchants.create_merchant(db, owner, "spring-tea", "Spring Tea House")
        spec = OfferCreate(
            title="Longjing green tea 250 g",
            description="First flush, picked before Qingming.",
            price_minor=12800,
            currency="CNY",
        )
        offer = catalog.create_offer(db, merchant, spec)
        code = codes.issue_offer_code(db, state.keyring, offer, channel="poster")
        text = codes.code_text(state.settings, state.keyring, code)
        root_id = code.id
    return {"offer_id": offer.id, "text": text, "root_id": root_id}


def shot(page: Any, tmp_path: Path, name: str) -> Path:
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"shares-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form[action='/login'] button[type=submit]")


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    return page


def shared_code(page: Any) -> str:
    shown = page.locator("[data-code-text]")
    shown.wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelector('[data-code-text]').textContent.includes('/C/')"
    )
    text: str = shown.inner_text().strip()
    assert CODE_TEXT.fullmatch(text), text
    return text


def test_share_then_scan_in_a_second_browser(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    base, world = live_server.url, seed(live_server)
    browser = launch_chromium()

    # A signs in, opens the offer (its page, no code in the address) and shares it.
    a = new_page(browser)
    sign_in(a, base, "alice")
    a.goto(f"{base}/offers/{world['offer_id']}")
    button = a.locator("[data-action=share]")
    assert button.get_attribute("data-parent-code") == world["text"]
    assert a.locator("meta[property='og:image']").get_attribute("content").startswith(base)
    button.click()
    child = shared_code(a)
    assert child != world["text"]
    qr = a.locator("[data-share-qr]")
    a.wait_for_function("() => document.querySelector('[data-share-qr]').naturalWidth > 0")
    assert qr.get_attribute("src", timeout=TIMEOUT_MS).endswith("/qr.svg")
    assert a.locator("[data-share-save]").get_attribute("href").endswith("/qr.png?download=1")
    assert a.input_value("[data-share-link]").lower() == child.lower()
    shot(a, tmp_path, "1-offer-shared")
    # Pressing it again gives the same code.
    button.click()
    a.wait_for_timeout(300)
    assert shared_code(a) == child

    # A reviews the share on "my codes".
    a.goto(base + "/me/codes")
    card = a.locator("[data-share-id]")
    assert card.count() == 1
    card.locator("input[name=rating][value='5']").check()
    card.locator("textarea[name=text]").fill(REVIEW)
    with a.expect_navigation():
        card.locator("button[type=submit]:not([name])").click()
    assert a.locator("[data-share-id] textarea").input_value() == REVIEW
    shot(a, tmp_path, "2-my-codes")
    assert a.problems == []

    # B, in another browser context, opens A's code: who shared it, and the review.
    b = new_page(browser)
    token = child.rsplit("/", 1)[-1]
    b.goto(f"{base}/C/{token}")
    sharer = b.locator("[data-shared-by] .sharer")
    assert sharer.inner_text() == "Shared by Alice"
    assert REVIEW in b.locator("[data-review]").inner_text()
    assert b.locator("[data-review] .stars").get_attribute("aria-label") == "5 of 5 stars"
    assert (
        b.locator("meta[property='og:description']")
        .get_attribute("content")
        .startswith("Shared by Alice.")
    )
    shot(b, tmp_path, "3-share-page-signed-out")

    # Signed out, the share control leads to sign-in and back, and shares on return.
    b.click("[data-action=share]")
    b.wait_for_url(re.compile(r"/login\?next="))
    b.fill("input[name=username]", "bob")
    b.fill("input[name=password]", PASSWORD)
    with b.expect_navigation():
        b.click("main form[action='/login'] button[type=submit]")
    assert f"/C/{token}" in b.url
    grandchild = shared_code(b)
    assert grandchild not in (child, world["text"])
    assert "share=1" not in b.url
    shot(b, tmp_path, "4-share-of-a-share")
    assert b.problems == []

    state = live_server.app.state.rc
    with state.db.transaction() as db:
        rows = {c.id: c for c in db.scalars(select(Code))}
    by_depth = sorted(rows.values(), key=lambda c: c.depth)
    assert [c.depth for c in by_depth] == [0, 1, 2]
    assert by_depth[1].parent_id == world["root_id"] and by_depth[2].parent_id == by_depth[1].id

    # The shop page, reached from the offer page's merchant name.
    b.goto(f"{base}/offers/{world['offer_id']}")
    with b.expect_navigation():
        b.click("[data-shop-link]")
    assert b.locator("[data-shop-offer]").count() == 1
    shot(b, tmp_path, "5-shop")


OFFLINE_HOOK = """
window.rcOfflineShare = {
  async make(parent) {
    window.rcParentAsked = parent;
    return {code: "HTTP://127.0.0.1/S/OFFLINECHILDCODE", url: "http://127.0.0.1/S/OFFLINECHILDCODE"};
  },
};
"""


def test_offline_the_page_asks_the_offline_hook(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    base, world = live_server.url, seed(live_server)
    page = new_page(launch_chromium())
    sign_in(page, base, "alice")
    page.add_init_script(OFFLINE_HOOK)
    page.goto(f"{base}/C/{world['text'].rsplit('/', 1)[-1]}?seen=1")
    page.context.set_offline(True)
    page.click("[data-action=share]")
    shown = page.locator("[data-code-text]")
    shown.wait_for(state="visible")
    assert shown.inner_text() == "HTTP://127.0.0.1/S/OFFLINECHILDCODE"
    assert page.evaluate("window.rcParentAsked") == world["text"]
    assert page.locator("[data-share-offline-note]").is_visible()
    shot(page, tmp_path, "6-offline")
    page.context.set_offline(False)
    with live_server.app.state.rc.db.transaction() as db:
        assert db.scalars(select(Code).where(Code.kind == "share")).all() == []

"""Real Chromium on a phone: an issuer makes a bill template and issues a bill to ann;
ann opens the item's link, claims it, sees its code, switches to the rotating form and
sees the code change when the clock moves to the next window (page.clock), then endorses
it to ben. Screenshots of every new page (RELAYCODE_SHOTS_DIR keeps them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from relaycode.credentials import verify
from relaycode.db.base import utcnow
from relaycode.identity import repository as id_repo

pytestmark = pytest.mark.browser
SIZE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


def _shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _context(browser: Any, lang: str) -> Any:
    ctx = browser.new_context(
        viewport=SIZE, device_scale_factor=2, locale=lang, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZE["width"]


def _verdict(live: Any, text: str) -> tuple[str, str | None]:
    """What the issuer's verifier is told of ``text`` (credentials/verify.py)."""
    state = live.app.state.rc
    with state.db.transaction() as db:
        bank = id_repo.user_by_username(db, "bank")
        v = verify.verify(db, state.settings, state.keyring, text, now=utcnow(), verifier=bank)
        return v.verdict, v.reason


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_issue_claim_rotate_endorse(
    live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path, lang: str
) -> None:
    base, out = live_server.url, _shots(tmp_path)
    browser = launch_chromium()
    ann_ctx, ben_ctx, bank_ctx = (
        _context(browser, lang),
        _context(browser, lang),
        _context(browser, lang),
    )
    ann, ben, bank = ann_ctx.new_page(), ben_ctx.new_page(), bank_ctx.new_page()
    ann.on("dialog", lambda d: d.accept())
    bank.on("dialog", lambda d: d.accept())
    ui.register(ann, base, "ann")
    ui.register(ben, base, "ben")
    ui.register(bank, base, "bank")

    # The issuer: a merchant, a bill template (every form), one bill to ann.
    bank.goto(base + "/dashboard")
    bank.fill("#f-name", "City Bank")
    bank.fill("#f-slug", "city-bank")
    bank.click("main form[action='/dashboard/merchants'] button[type=submit]")
    bank.wait_for_url("**/dashboard/m/city-bank")
    bank.click("a[href='/dashboard/m/city-bank/credentials']")
    bank.select_option("#f-kind", "bank_bill")
    bank.fill("#f-name", "Cashier's bill")
    bank.fill("#f-fields", "amount, Amount, money\npayee, Payee, text")
    bank.check("input[name=transferable]")
    bank.fill("#f-max_endorsements", "2")
    bank.check("input[name=forms][value=signed]")
    bank.check("input[name=forms][value=rotating]")
    _fits(bank)
    bank.screenshot(path=str(out / f"{lang}-issuer-templates.png"), full_page=True)
    bank.click("form[data-new-template] button[type=submit]")
    bank.wait_for_url("**/dashboard/m/city-bank/credentials/*")
    bank.fill("#f-holder", "ann")
    bank.fill("[id='f-field.amount']", "1,250.00")
    bank.fill("[id='f-field.payee']", "Ann")
    bank.click("form[data-issue-one] button[type=submit]")
    link = bank.locator("[data-issued-link]").inner_text().strip()
    assert bank.locator("[data-item]").count() == 1
    _fits(bank)
    bank.screenshot(path=str(out / f"{lang}-issuer-template.png"), full_page=True)

    # Ann opens the printed code's link and claims it.
    ann.goto(link)
    ann.screenshot(path=str(out / f"{lang}-holder-claim.png"), full_page=True)
    ann.click("[data-claim]")
    ann.wait_for_url("**/me/credentials/*")
    assert ann.locator("[data-notice=claimed]").count() == 1
    assert ann.locator("[data-code-text]").text_content().upper().startswith("HTTP")
    _fits(ann)
    ann.screenshot(path=str(out / f"{lang}-holder-credential.png"), full_page=True)

    # The rotating form, made on this phone with its device key; the clock moves a window.
    ann.clock.install()
    ann.click("[data-form-link=rotating]")
    box = ann.locator("[data-form=rotating][data-window]")
    box.wait_for()
    first = ann.locator("[data-code-text]").text_content()
    # Base45 has spaces: the page shows (and copies) them as they are, none folded.
    shown_as = "e => getComputedStyle(e).whiteSpace"
    assert ann.eval_on_selector("[data-code-text]", shown_as) == "pre-wrap"
    window = int(box.get_attribute("data-window") or "0")
    assert first.startswith("CR4:")
    assert _verdict(live_server, first) == ("valid", None)  # the server takes the phone's
    ann.screenshot(path=str(out / f"{lang}-holder-rotating.png"), full_page=True)
    ann.clock.run_for(31_000)
    moved = ann.locator(f"[data-form=rotating][data-window]:not([data-window='{window}'])")
    moved.wait_for(timeout=40_000)
    second = ann.locator("[data-code-text]").text_content()
    assert second.startswith("CR4:") and second != first
    made_by = box.get_attribute("data-made-by")
    assert made_by == "device"  # signed here with the browser's non-extractable key

    # Endorsed to ben: ann's stops counting, ben's list has it.
    ann.goto(ann.url.split("?")[0])
    ann.fill("#f-to", "ben")
    ann.click("[data-endorse]")
    ann.locator("[data-notice=endorsed]").wait_for()
    assert ann.locator("[data-code-text]").count() == 0
    assert "ben" in ann.locator("[data-chain]").inner_text()
    ann.screenshot(path=str(out / f"{lang}-holder-endorsed.png"), full_page=True)
    ben.goto(base + "/me/credentials")
    assert ben.locator("[data-credential]").count() == 1
    _fits(ben)
    ben.screenshot(path=str(out / f"{lang}-holder-list.png"), full_page=True)
    # Ben's was not claimed on this browser: the server makes each window's text.
    ben.click("[data-credential]")
    ben.click("[data-form-link=rotating]")
    theirs = ben.locator("[data-form=rotating][data-made-by=server]")
    theirs.wait_for()
    text = ben.locator("[data-code-text]").text_content()
    assert text.startswith("CR4:") and _verdict(live_server, text) == ("valid", None)

"""The combining game in real Chromium: oxygen shared the offer, hydrogen shared that;
a second hydrogen opens the code, picks her element on the page, presses Share — and a
reader in another browser, pasting the new code into the scanner, lands on a page that
says it makes water. Screenshots (phone size, English and Chinese) are kept under
``RELAYCODE_SHOTS_DIR`` when it is set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from relaycode.catalog import service as catalog
from relaycode.catalog.schemas import OfferCreate
from relaycode.codes import service as codes
from relaycode.games import service as games
from relaycode.games.schemas import GameIn
from relaycode.identity import service as identity
from relaycode.identity.schemas import RegisterIn
from relaycode.merchants import service as merchants
from relaycode.referrals import service as referrals

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000
PASSWORD = "relaycode-demo"
GAME = {
    "attributes": [{"key": "O", "label": "Oxygen"}, {"key": "H", "label": "Hydrogen"}],
    "recipes": [{"items": ["O", "H", "H"], "title": "Water", "reward": "A free pot of tea"}],
    "assignment": "choose",
}


def shot(page: Any, tmp_path: Path, name: str) -> None:
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


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
    # A refused share (409) is logged by the browser as a failed resource: expected here.
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and "409" not in m.text else None)  # fmt: skip
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    return page


def shared_code(page: Any) -> str:
    page.locator("[data-code-text]").wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelector('[data-code-text]').textContent.includes('/C/')"
    )
    text: str = page.locator("[data-code-text]").inner_text().strip()
    return text


def seed(live: Any) -> dict[str, Any]:
    state = live.app.state.rc
    with state.db.transaction() as db:
        owner = identity.register(
            db, state.passwords, RegisterIn(username="merchant", password=PASSWORD)
        )
        people = {
            n: identity.register(
                db,
                state.passwords,
                RegisterIn(username=n, password=PASSWORD, display_name=n.title()),
            )
            for n in ("olga", "hugo", "hana", "reader")
        }
        merchant = merchants.create_merchant(db, owner, "lab-tea", "Lab Tea")
        offer = catalog.create_offer(
            db, merchant, OfferCreate(title="Make water", price_minor=1800)
        )
        games.set_game(db, offer, GameIn.model_validate(GAME))
        games.assign(db, offer, "olga", "O")
        games.assign(db, offer, "hugo", "H")
        code = codes.issue_offer_code(db, state.keyring, offer, channel="poster")
        for name in ("olga", "hugo"):
            code = referrals.create_share(db, state.keyring, parent=code, sharer=people[name],
                                          device_id=None, channel="demo")  # fmt: skip
        text = codes.code_text(state.settings, state.keyring, code)
    return {"offer_id": offer.id, "oh": text}


def test_the_scanned_code_page_says_it_makes_water(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    base, world = live_server.url, seed(live_server)
    browser = launch_chromium()
    token = world["oh"].rsplit("/", 1)[-1]

    # Hana opens hugo's code: O + H so far, water still reachable; she needs an element.
    hana = new_page(browser)
    sign_in(hana, base, "hana")
    hana.goto(f"{base}/C/{token}")
    composition = hana.locator("[data-game-composition]")
    assert composition.locator("[data-attribute=O]").get_attribute("data-count") == "1"
    assert composition.locator("[data-attribute=H]").get_attribute("data-count") == "1"
    assert "Water" in hana.locator("[data-game-next]").inner_text()
    # Sharing without an element is refused, and the page says why.
    hana.click("button[data-action=share]")
    hana.wait_for_function(
        "() => document.querySelector('[data-share-status]').textContent.length > 0"
    )
    assert "element" in hana.locator("[data-share-status]").inner_text()
    hana.locator("label.game-pick", has_text="Hydrogen").click()
    with hana.expect_navigation():
        hana.click("[data-game-join]")
    assert hana.locator("[data-my-attribute]").get_attribute("data-my-attribute") == "H"
    shot(hana, tmp_path, "game-1-joined")
    hana.click("button[data-action=share]")
    water = shared_code(hana)
    assert hana.problems == [], hana.problems

    # A reader in another browser pastes it into the scanner.
    reader = new_page(browser)
    reader.goto(f"{base}/scan")
    reader.fill("input[name=text]", water)
    with reader.expect_navigation():
        reader.click("form[action='/scan'] button[type=submit]")
    assert "/C/" in reader.url
    result = reader.locator("[data-game-result]")
    result.wait_for(state="visible")
    assert "Water" in result.inner_text() and "A free pot of tea" in result.inner_text()
    counts = {
        k: reader.locator(f"[data-game-composition] [data-attribute={k}]").get_attribute(
            "data-count"
        )
        for k in ("O", "H")
    }
    assert counts == {"O": "1", "H": "2"}
    shot(reader, tmp_path, "game-2-water-en")
    reader.goto(reader.url.split("?")[0] + "?seen=1&lang=zh-CN")
    assert "合成了" in reader.locator("[data-game-result]").inner_text()
    shot(reader, tmp_path, "game-3-water-zh")
    assert reader.problems == [], reader.problems

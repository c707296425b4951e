"""The wallet page: balances per currency in the reader's language, the ledger history,
and the note on how to top up; in a phone-sized browser too (with a screenshot)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from relaycode.payments import ledger, wallet

PHONE = {"width": 390, "height": 844}


def _grant(app: Any, username: str, amount: int, currency: str, memo: str | None = None) -> None:
    with app.state.rc.db.transaction() as s:
        wallet.grant_to(s, username, amount, currency, memo=memo)


def _pay(app: Any, username: str, amount: int) -> None:
    """A payment out of the wallet, as the orders slice will post it."""
    from relaycode.identity import repository as id_repo

    with app.state.rc.db.transaction() as s:
        user = id_repo.user_by_username(s, username)
        assert user is not None
        mine = ledger.account(s, "user_wallet", "CNY", user_id=user.id)
        clearing = ledger.account(s, "provider_clearing", "CNY", provider="test")
        ledger.post(s, kind="order_payment", lines=[(mine, -amount), (clearing, amount)])


def test_signed_out_readers_are_sent_to_sign_in(client: TestClient) -> None:
    r = client.get("/wallet", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/wallet"


def test_an_empty_wallet(pages: Any, client: TestClient) -> None:
    pages.register("bob")
    page = client.get("/wallet?lang=en")
    assert page.status_code == 200
    assert "Your wallet is empty" in page.text and "No movements yet." in page.text
    assert "topped up by an operator" in page.text
    assert 'href="/wallet"' in client.get("/dashboard").text  # reachable from every page


def test_balances_and_history_in_both_languages(pages: Any, client: TestClient, app: Any) -> None:
    pages.register("bob")
    _grant(app, "bob", 123456, "CNY", memo="welcome gift")
    _grant(app, "bob", 500, "JPY")
    _pay(app, "bob", 3850)
    en = client.get("/wallet?lang=en").text
    assert re.search(r'data-balance-minor="119606">CN¥1,196.06<', en)
    assert re.search(r'data-balance-minor="500">¥500<', en)
    assert "Top-up by an operator" in en and "welcome gift" in en
    assert "Payment for an order" in en and "−CN¥38.50" in en and "+CN¥1,234.56" in en
    assert "Balance CN¥1,196.06" in en
    # Newest first: the payment, then the yen grant, then the first grant.
    assert en.index("−CN¥38.50") < en.index("+¥500") < en.index("+CN¥1,234.56")
    zh = client.get("/wallet?lang=zh-CN").text
    assert '<html lang="zh-CN">' in zh and "我的钱包" in zh
    assert "¥1,196.06" in zh and "JP¥500" in zh and "订单付款" in zh
    assert "运营人员" in zh


def test_the_history_is_paged(pages: Any, client: TestClient, app: Any) -> None:
    pages.register("bob")
    for i in range(55):
        _grant(app, "bob", i + 1, "CNY")
    first = client.get("/wallet?lang=en").text
    assert first.count("data-entry=") == 50 and "+CN¥0.55" in first
    more = re.search(r'href="(/wallet\?cursor=[^"#]+)#history-h" rel="next"', first)
    assert more
    second = client.get(more.group(1).replace("&amp;", "&")).text
    assert second.count("data-entry=") == 5 and "+CN¥0.01" in second
    assert "+CN¥0.55" not in second


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_wallet_on_a_phone(
    live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path, lang: str
) -> None:
    browser = launch_chromium()
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, locale=lang, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    ui.register(page, live_server.url, "bob")
    _grant(live_server.app, "bob", 100000, "CNY", memo="demo top-up")
    _grant(live_server.app, "bob", 12345, "USD")
    _pay(live_server.app, "bob", 19900)
    page.goto(f"{live_server.url}/wallet?lang={lang}")
    assert page.locator(".wallet-balance").count() == 2
    assert page.locator("[data-entry]").count() == 3
    expected = "¥801.00" if lang == "zh-CN" else "CN¥801.00"
    assert page.locator("[data-currency=CNY] .wallet-amount").inner_text() == expected
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    out = Path(os.environ.get("RELAYCODE_SHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{lang}-wallet.png"), full_page=True)
    ctx.close()

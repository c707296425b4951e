"""The bank-bill story of the issue, end to end in real Chromium (Figs. 7–9):

the bank's dashboard issues a bill to alice and prints it; bob verifies his phone number;
alice opens the printed code's link, claims the bill and endorses it to bob by that
number; bob shows it as a signed code; the teller's station, fed by the fake camera that
sees the paper bill and bob's phone, pairs them (match) and pays out; the camera again →
a second payout is refused; another station checks alice's old code, online and then with
the context offline → revoked. Screenshots go to RELAYCODE_SHOTS (or a temporary dir)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from phone_support import PHONE, last_code
from PIL import Image
from sqlalchemy import select
from web.test_station_browser import camera_browser, signed_in, station_page, verdict
from web.test_web_browser import write_y4m

from relaycode.codes import render
from relaycode.models import CredentialRedemption

pytestmark = pytest.mark.browser
BILL = {
    "kind": "bank_bill",
    "name": "Cashier's bill",
    "fields": [
        {"key": "amount", "label": "Amount", "type": "money"},
        {"key": "drawer", "label": "Drawer", "type": "text"},
    ],
    "currency": "CNY",
    "transferable": True,
    "max_endorsements": 1,
    "forms": ["reference", "signed"],
}


def _shot(page: Any, out: Path, name: str) -> None:
    page.screenshot(path=str(out / f"story-{name}.png"), full_page=True)


def _two_codes_clip(path: Path, first: str, second: str) -> Path:
    """A looping camera clip that shows ``first`` (the paper bill), then ``second`` (the
    phone), each out of focus and then sharp."""
    parts = []
    for n, text in enumerate((first, second)):
        png = render.render_png(text, render.RenderOptions(scale=5, border=4))
        parts.append(write_y4m(path.with_suffix(f".{n}"), Image.open(io.BytesIO(png))).read_bytes())
    header, _, frames = parts[0].partition(b"\n")
    path.write_bytes(header + b"\n" + frames + parts[1].partition(b"\n")[2])
    return path


def _paste(page: Any, text: str) -> None:
    page.fill("#paste-text", text)
    page.click("#paste button[type=submit]")


def _accepted(live: Any) -> list[tuple[str, str | None]]:
    with live.app.state.rc.db.transaction() as db:
        q = select(CredentialRedemption.credential_id, CredentialRedemption.station).where(
            CredentialRedemption.verdict == "accepted"
        )
        return [(cid, station) for cid, station in db.execute(q)]


def _issue_and_print(bank: Any, base: str, template_id: int, out: Path) -> str:
    """The issuer's dashboard: one bill to alice, 500.00; its print sheet is a PDF."""
    bank.goto(f"{base}/dashboard/m/bank/credentials/{template_id}")
    bank.fill("#f-holder", "alice")
    bank.fill("[id='f-field.amount']", "500.00")
    bank.fill("[id='f-field.drawer']", "ACME Ltd")
    bank.click("form[data-issue-one] button[type=submit]")
    link: str = bank.locator("[data-issued-link]").inner_text().strip()
    _shot(bank, out, "1-issuer")
    sheet = bank.request.get(base + bank.get_attribute("[data-pdf]", "href"))
    assert sheet.ok and sheet.body().startswith(b"%PDF")
    return link


def _verify_phone(bob: Any, live: Any) -> None:
    bob.goto(live.url + "/account/phone")
    bob.fill("#f-phone", "138 0013 8000")
    bob.click("form[action='/account/phone'] button[type=submit]")
    bob.locator("[data-phone-state=pending]").wait_for()
    bob.fill("#f-code", last_code(live.settings.data_dir, PHONE))
    bob.click("form[action='/account/phone/verify'] button[type=submit]")
    bob.locator("[data-phone-state=verified]").wait_for()


def _signed_text(page: Any) -> str:
    page.goto(page.url.split("?")[0] + "?form=signed")
    text: str = page.locator("[data-code-text]").text_content()
    assert text.startswith("CR1:"), text
    return text


def _claim_and_endorse(alice: Any, link: str, out: Path) -> str:
    """Alice claims the bill (Fig. 7), keeps its signed code, endorses it to bob's phone."""
    alice.goto(link)
    alice.click("[data-claim]")
    alice.wait_for_url("**/me/credentials/*")
    assert "500.00" in alice.locator(".cred-facts").inner_text()  # money, not 50000
    old = _signed_text(alice)
    _shot(alice, out, "2-alice-signed")
    alice.goto(alice.url.split("?")[0])
    alice.fill("#f-to", "+86 138 0013 8000")
    alice.click("[data-endorse]")
    alice.locator("[data-notice=endorsed]").wait_for()
    assert alice.locator("[data-code-text]").count() == 0
    _shot(alice, out, "3-alice-endorsed")
    return old


def _bobs_code(bob: Any, base: str, out: Path) -> str:
    bob.goto(base + "/me/credentials")
    assert bob.locator("[data-credential]").count() == 1
    bob.click("[data-credential]")
    bob.wait_for_url("**/me/credentials/*")
    text = _signed_text(bob)
    _shot(bob, out, "4-bob-signed")
    return text


def test_bank_bill_story(live_server: Any, launch_chromium: Any, tmp_path: Path) -> None:
    base = live_server.url
    out = Path(os.environ.get("RELAYCODE_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    client = TestClient(live_server.app)
    w: World = make_world(client)  # the bank, its teller (verifier), alice, bob
    template_id = w.template(client, **BILL)
    people = launch_chromium()
    bank, alice, bob = (signed_in(people, base, u) for u in ("owner", "alice", "bob"))
    for page in (bank, alice):
        page.on("dialog", lambda d: d.accept())

    link = _issue_and_print(bank, base, template_id, out)
    _verify_phone(bob, live_server)
    alices_old = _claim_and_endorse(alice, link, out)
    bobs = _bobs_code(bob, base, out)
    item_text = link  # the paper bill's code is its link (code 61)

    # The teller's station; the camera sees the paper bill, then bob's phone, in a loop.
    clip = _two_codes_clip(tmp_path / "counter.y4m", item_text, bobs)
    counter = camera_browser(launch_chromium, clip)
    # The pair mode of Fig. 8 (kept in the address): the two codes in whichever order.
    teller = station_page(counter, base, "?mode=pair")
    assert teller.is_checked("input[name=station-mode][value=pair]")
    teller.wait_for_selector("#verdict-pair[data-pair=match]", state="visible")
    assert teller.get_attribute("#verdict", "data-verdict") == "valid"
    details = teller.locator("#verdict-details").inner_text()
    assert "500.00" in details and "ACME Ltd" in details, details
    _shot(teller, out, "5-station-match")
    teller.click("#redeem-button")
    verdict(teller, "redeemed")
    assert "Used up" in teller.locator("#verdict-details").inner_text()  # what is left now
    _shot(teller, out, "6-station-paid")
    station_id = teller.locator("#station-id").inner_text()
    [(paid_id, paid_at)] = _accepted(live_server)
    assert paid_at == station_id

    # The same bill and phone again: a second payout is refused.
    teller.click("#next")
    assert verdict(teller, "invalid").get_attribute("data-reason") == "already_redeemed"
    _shot(teller, out, "7-station-second-payout")

    # Alice's old code at another station: refused online, and offline with its lists.
    door = station_page(launch_chromium(), base)
    _paste(door, alices_old)
    assert verdict(door, "invalid").get_attribute("data-reason") == "revoked"
    door.click("#next")
    door.context.set_offline(True)
    door.wait_for_selector("#station[data-net=offline]", state="attached")
    _paste(door, alices_old)
    v = verdict(door, "invalid")
    assert (v.get_attribute("data-reason"), v.get_attribute("data-mode")) == ("revoked", "offline")
    _shot(door, out, "8-station-offline-old-code")

    assert _accepted(live_server) == [(paid_id, station_id)]  # one payout, nothing else
    for page in (bank, alice, bob, teller, door):
        assert not page.problems, page.problems

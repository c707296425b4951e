"""The issue's two other stories end to end in real Chromium.

- The door (a concert ticket): alice claims her ticket from its link and shows it as a
  signed code; the door's station, fed by the fake camera, lets her in once and refuses
  the same ticket the second time.
- The shop counter (Fig. 11, a payment without a POS): alice opens the shop's payment
  code, pays 12.50 from her wallet and gets a signed receipt; she sends the counter's
  teller a verification link, which shows it valid; the counter's station reads the
  receipt from the camera, online and then with the context offline.
Screenshots go to RELAYCODE_SHOTS (or a temporary dir)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from credential_support import make_world
from fastapi.testclient import TestClient
from helpers import auth
from receipt_support import make_shop
from web.test_station_browser import camera_seeing, signed_in, station_page, verdict

from relaycode.payments import wallet

pytestmark = pytest.mark.browser
TICKET = {
    "kind": "ticket",
    "name": "Concert ticket",
    "fields": [
        {"key": "seat", "label": "Seat", "type": "text"},
        {"key": "door", "label": "Door", "type": "text"},
    ],
    "forms": ["reference", "signed"],
}


def _shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("RELAYCODE_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _code_text(page: Any) -> str:
    text: str = page.locator("[data-code-text]").text_content()
    return text


def test_a_ticket_at_the_door(live_server: Any, launch_chromium: Any, tmp_path: Path) -> None:
    base, out = live_server.url, _shots(tmp_path)
    client = TestClient(live_server.app)
    w = make_world(client)
    r = client.post(
        f"/api/v1/credential-templates/{w.template(client, **TICKET)}/items",
        json={"holder": "alice", "fields": {"seat": "A-12", "door": "East"}},
        headers=auth(w.owner),
    )
    assert r.status_code == 201, r.text
    item = r.json()
    alice = signed_in(launch_chromium(), base, "alice")
    alice.goto(item["text"])
    alice.click("[data-claim]")
    alice.wait_for_url("**/me/credentials/*")
    alice.goto(alice.url.split("?")[0] + "?form=signed")
    ticket = _code_text(alice)
    assert ticket.startswith("CR1:")
    alice.screenshot(path=str(out / "door-1-ticket.png"), full_page=True)

    door = station_page(camera_seeing(launch_chromium, tmp_path, ticket), base)
    verdict(door, "valid")
    details = door.locator("#verdict-details").inner_text()
    assert "A-12" in details and "East" in details and "Concert ticket" in details
    door.screenshot(path=str(out / "door-2-valid.png"), full_page=True)
    door.click("#redeem-button")
    verdict(door, "redeemed")
    door.click("#next")  # the same ticket again, still in front of the camera
    assert verdict(door, "invalid").get_attribute("data-reason") == "already_redeemed"
    door.screenshot(path=str(out / "door-3-second-time.png"), full_page=True)
    assert not alice.problems and not door.problems


def test_a_receipt_at_the_shop_counter(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    base, out = live_server.url, _shots(tmp_path)
    client = TestClient(live_server.app)
    shop = make_shop(client)
    with live_server.app.state.rc.db.transaction() as db:
        wallet.grant_to(db, "alice", 10_000, "CNY")
    people = launch_chromium()
    alice = signed_in(people, base, "alice")
    # The printed payment code at the counter: its link, then Pay.
    alice.goto(shop.code)
    alice.click("[data-action=pay]")
    alice.wait_for_url("**/pay/*")
    alice.fill("#f-amount", "12.50")
    alice.click("[data-pay-form] button[type=submit]")
    alice.wait_for_url("**/receipts/*")
    assert "12.50" in alice.locator("[data-receipt-amount]").inner_text()
    receipt = _code_text(alice)
    assert receipt.startswith("CR1:")
    alice.screenshot(path=str(out / "counter-1-receipt.png"), full_page=True)
    balance = client.get("/api/v1/me/wallet", headers=auth(shop.alice)).json()["balances"]
    assert balance == [{"currency": "CNY", "balance_minor": 10_000 - 1_250}]

    # Shown by link (Fig. 8's alternative): the teller's inbox opens it.
    alice.click("[data-receipt-credential]")
    alice.fill("#f-verifier", "cafe-teller")
    alice.click("[data-send-link]")
    alice.locator("[data-notice=link_sent]").wait_for()
    teller = signed_in(people, base, "cafe-teller")
    teller.goto(base + "/inbox")
    teller.click("[data-kind=verification_link] a")
    teller.wait_for_url("**/verify-link/*")
    assert teller.locator("[data-link-verdict=valid]").count() == 1
    assert "12.50" in teller.locator("[data-link-field=amount]").inner_text()
    teller.screenshot(path=str(out / "counter-2-link.png"), full_page=True)

    # Scanned at the counter's station: online, then with no network (receipts verify
    # offline: the page reads the camera and checks the signature with its lists).
    counter = camera_seeing(launch_chromium, tmp_path, receipt)
    station = station_page(counter, base, slug="cafe", user="cafe-teller")
    assert verdict(station, "valid").get_attribute("data-mode") == "online"
    assert "12.50" in station.locator("#verdict-details").inner_text()
    station.context.set_offline(True)
    station.wait_for_selector("#station[data-net=offline]", state="attached")
    station.click("#next")
    assert verdict(station, "valid").get_attribute("data-mode") == "offline"
    station.screenshot(path=str(out / "counter-3-offline.png"), full_page=True)
    assert not alice.problems and not teller.problems and not station.problems

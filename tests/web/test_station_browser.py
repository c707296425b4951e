"""The verifier station in real Chromium: the fake camera shows a signed credential's QR
code → VALID → redeem → the same code again → already redeemed; offline, the station
checks CR1 texts itself with the lists it kept (a revoked one is refused), a reference
code needs the network, and a redemption waits in the queue."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from credential_support import World, make_world
from fastapi.testclient import TestClient
from helpers import auth
from PIL import Image
from sqlalchemy import select
from web.test_web_browser import write_y4m

from relaycode.codes import render
from relaycode.models import CredentialRedemption

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000
SHOTS = Path(os.environ.get("RELAYCODE_SHOTS", "/tmp/relaycode-shots"))


def signed(client: TestClient, w: World, template_id: int) -> tuple[str, str, str]:
    """(credential id, its CR1: text, the item's printed text) of a fresh bill."""
    item = w.issue(client, template_id)
    c = w.claim(client, item["text"])
    r = client.get(f"/api/v1/credentials/{c['id']}/presentation?form=signed",
                   headers=auth(w.alice))  # fmt: skip
    assert r.status_code == 200, r.text
    text: str = r.json()["text"]
    assert text.startswith("CR1:")
    return c["id"], text, item["text"]


def redemption_station(live: Any, credential_id: str) -> str | None:
    with live.app.state.rc.db.transaction() as db:
        q = select(CredentialRedemption.station).where(
            CredentialRedemption.credential_id == credential_id
        )
        return db.scalars(q).one()


def signed_in(browser: Any, base: str, username: str) -> Any:
    """A phone-sized page signed in as one of credential_support's users; page.problems
    collects the page's script errors."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    page.goto(base + "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", "correct horse 1")
    page.click("main form[action='/login'] button[type=submit]")
    page.wait_for_load_state("load")
    return page


def station_page(
    browser: Any, base: str, query: str = "", *, slug: str = "bank", user: str = "teller"
) -> Any:
    page = signed_in(browser, base, user)
    page.goto(f"{base}/dashboard/m/{slug}/station{query}")
    page.wait_for_selector("#station[data-lists=synced]", state="attached")
    return page


def camera_browser(launch_chromium: Any, clip: Path) -> Any:
    """A browser whose fake camera plays ``clip`` in a loop."""
    return launch_chromium(
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    )


def camera_seeing(launch_chromium: Any, tmp_path: Path, text: str) -> Any:
    png = render.render_png(text, render.RenderOptions(scale=5, border=4))
    return camera_browser(
        launch_chromium, write_y4m(tmp_path / "camera.y4m", Image.open(io.BytesIO(png)))
    )


def verdict(page: Any, want: str) -> Any:
    page.wait_for_selector(f"#verdict[data-verdict={want}]", state="visible")
    return page.locator("#verdict")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"station-{name}.png"))


def test_camera_verdict_redeem_then_already_redeemed(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    client = TestClient(live_server.app)
    w = make_world(client)
    tid = w.template(client)
    cid, text, _item = signed(client, w, tid)
    page = station_page(camera_seeing(launch_chromium, tmp_path, text), live_server.url)
    v = verdict(page, "valid")
    assert v.get_attribute("data-reason") == ""
    assert "Bank bill" in page.locator("#verdict-details").inner_text()
    shot(page, "valid")
    page.click("#redeem-button")
    verdict(page, "redeemed")
    shot(page, "redeemed")
    # The browser is a station of its own: a random id it keeps, sent with the redemption.
    station = page.locator("#station-id").inner_text()
    assert re.fullmatch(r"st-[a-z2-7]{12}", station)
    assert page.evaluate("localStorage.getItem('rc-station-id')") == station
    assert redemption_station(live_server, cid) == station
    page.click("#next")
    v = verdict(page, "invalid")
    assert v.get_attribute("data-reason") == "already_redeemed"
    assert page.locator("#verdict-reason").inner_text() == "Already redeemed."
    shot(page, "already-redeemed")
    assert not page.problems


def test_camera_offline_reads_in_the_page(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    """No network, no BarcodeDetector (Chromium on Linux has none): the station's page
    reads the camera's frames itself and checks the signed code with its lists."""
    client = TestClient(live_server.app)
    w = make_world(client)
    _cid, text, _item = signed(client, w, w.template(client))
    page = station_page(camera_seeing(launch_chromium, tmp_path, text), live_server.url)
    assert verdict(page, "valid").get_attribute("data-mode") == "online"  # the server read it
    page.context.set_offline(True)
    page.wait_for_selector("#station[data-net=offline]", state="attached")
    page.click("#next")
    v = verdict(page, "valid")
    assert v.get_attribute("data-mode") == "offline"
    assert page.get_attribute("#scanner", "data-decoded-by") == "page"
    shot(page, "offline-camera")
    assert not page.problems


def test_offline_checks_with_the_kept_lists(live_server: Any, launch_chromium: Any) -> None:
    client = TestClient(live_server.app)
    w = make_world(client)
    tid = w.template(client)
    _good_id, good, _item = signed(client, w, tid)
    bad_id, bad, _item2 = signed(client, w, tid)
    _twice_id, twice, _item3 = signed(client, w, tid)  # paid here offline and elsewhere online
    r = client.post(f"/api/v1/credentials/{bad_id}/revoke", json={}, headers=auth(w.owner))
    assert r.status_code == 200, r.text
    reference = w.credential(client, tid)[1]  # format 1: only the server can tell
    browser = launch_chromium()  # no camera: the text is pasted
    page = station_page(browser, live_server.url)
    page.wait_for_function("() => document.documentElement.dataset.offlineKept === 'yes'")
    page.context.set_offline(True)
    page.reload()  # the station opens again with no network: the service worker's copy
    page.wait_for_selector("#station[data-net=offline]", state="attached")

    page.fill("#paste-text", good)
    page.click("#paste button[type=submit]")
    v = verdict(page, "valid")
    assert v.get_attribute("data-mode") == "offline"
    assert page.locator("#verdict-offline").is_visible()
    shot(page, "offline-valid")
    page.click("#redeem-button")
    verdict(page, "queued")
    shot(page, "offline-queued")
    page.click("#next")

    page.fill("#paste-text", twice)
    page.click("#paste button[type=submit]")
    verdict(page, "valid")
    page.click("#redeem-button")
    verdict(page, "queued")
    page.click("#next")
    elsewhere = w.redeem(client, twice, "at-another-counter")  # the server does not know
    assert elsewhere.status_code == 201, elsewhere.text

    page.fill("#paste-text", good)  # the same bill again, still offline
    page.click("#paste button[type=submit]")
    assert verdict(page, "invalid").get_attribute("data-reason") == "already_redeemed"
    page.click("#next")

    page.fill("#paste-text", bad)
    page.click("#paste button[type=submit]")
    assert verdict(page, "invalid").get_attribute("data-reason") == "revoked"
    shot(page, "offline-revoked")
    page.click("#next")

    page.fill("#paste-text", reference)
    page.click("#paste button[type=submit]")
    assert verdict(page, "invalid").get_attribute("data-reason") == "needs_network"
    page.click("#next")
    assert "2" in page.locator("#station-queue").inner_text()

    # Back online: the queue is uploaded.
    page.context.set_offline(False)
    page.wait_for_selector("#station[data-net=online]", state="attached")
    # POST /redemptions/offline takes the queue: it empties, and the bill is redeemed.
    page.wait_for_selector("#station[data-uploaded='2']", state="attached")
    # The teller learns that one clashed with the use elsewhere (the issuer settles it).
    uploaded = page.locator("#station-uploaded")
    assert uploaded.is_visible() and uploaded.get_attribute("data-conflicts") == "1"
    assert uploaded.get_attribute("data-refused") == "0"
    assert "issuer" in uploaded.inner_text()
    shot(page, "offline-uploaded-conflict")
    queued = page.evaluate(
        f"JSON.parse(localStorage.getItem('rc-station:{w.merchant_id}')).queue.length"
    )
    assert queued == 0
    again = client.post("/api/v1/verifications", json={"text": good}, headers=auth(w.teller))
    assert again.json()["reason"] == "already_redeemed"
    assert not page.problems


def test_pair_mode_bill_then_phone(live_server: Any, launch_chromium: Any) -> None:
    client = TestClient(live_server.app)
    w = make_world(client)
    tid = w.template(client)
    _cid, text, item = signed(client, w, tid)
    _other_id, other, _other_item = signed(client, w, tid)
    page = station_page(launch_chromium(), live_server.url)
    page.check("input[name=station-mode][value=pair]")
    page.wait_for_selector("#station-step[data-step=item]", state="visible")
    page.fill("#paste-text", item)
    page.click("#paste button[type=submit]")
    page.wait_for_selector("#station-step[data-step=credential]", state="visible")
    page.fill("#paste-text", other)
    page.click("#paste button[type=submit]")
    verdict(page, "valid")
    assert page.get_attribute("#verdict-pair", "data-pair") == "no_match"
    assert page.locator("#redeem").is_hidden()
    shot(page, "pair-no-match")
    page.click("#next")
    page.fill("#paste-text", item)
    page.click("#paste button[type=submit]")
    page.wait_for_selector("#station-step[data-step=credential]", state="visible")
    page.fill("#paste-text", text)
    page.click("#paste button[type=submit]")
    verdict(page, "valid")
    assert page.get_attribute("#verdict-pair", "data-pair") == "match"
    shot(page, "pair-match")
    page.click("#redeem-button")
    verdict(page, "redeemed")
    assert not page.problems


def test_paid_online_then_offline_is_refused(live_server: Any, launch_chromium: Any) -> None:
    """README step 8: the teller pays a bill out online, the network drops, the customer
    shows the same code again: this station remembers it paid, so no second payout."""
    client = TestClient(live_server.app)
    w = make_world(client)
    _cid, text, _item = signed(client, w, w.template(client))
    page = station_page(launch_chromium(), live_server.url)
    page.fill("#paste-text", text)
    page.click("#paste button[type=submit]")
    verdict(page, "valid")
    page.click("#redeem-button")
    verdict(page, "redeemed")
    page.click("#next")
    page.context.set_offline(True)
    page.wait_for_selector("#station[data-net=offline]", state="attached")
    page.fill("#paste-text", text)
    page.click("#paste button[type=submit]")
    v = verdict(page, "invalid")
    assert v.get_attribute("data-reason") == "already_redeemed"
    assert v.get_attribute("data-mode") == "offline"
    assert not page.problems

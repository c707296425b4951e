"""Real Chromium against the real server: the scanner captures a code from a (fake) camera
on its own, and a downloaded PNG decodes back to the code's link."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zxingcpp
from PIL import Image, ImageFilter
from sqlalchemy import select

from relaycode.catalog import service as catalog
from relaycode.catalog.schemas import OfferCreate
from relaycode.codes import render
from relaycode.codes import service as codes
from relaycode.identity import service as identity
from relaycode.identity.schemas import RegisterIn
from relaycode.merchants import service as merchants
from relaycode.models import ScanEvent

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000


def issue_code(live: Any, title: str) -> str:
    """An offer and its code, made directly with the services; returns the code's text."""
    state = live.app.state.rc
    with state.db.transaction() as db:
        user = identity.register(
            db, state.passwords, RegisterIn(username="shopkeeper", password="password123")
        )
        merchant = merchants.create_merchant(db, user, "noodle-bar", "Noodle Bar")
        offer = catalog.create_offer(
            db, merchant, OfferCreate(title=title, price_minor=3800, currency="CNY")
        )
        code = codes.issue_offer_code(db, state.keyring, offer, channel="test")
        text = codes.code_text(state.settings, state.keyring, code)
    assert text is not None
    return text


def write_y4m(path: Path, picture: Image.Image, *, blurred: int = 8, sharp: int = 12) -> Path:
    """A 640x480 greyscale clip for Chromium's fake camera: the code out of focus, then sharp."""
    width, height = 640, 480
    canvas = Image.new("L", (width, height), 255)
    canvas.paste(
        picture.convert("L"), ((width - picture.width) // 2, (height - picture.height) // 2)
    )
    soft = canvas.filter(ImageFilter.GaussianBlur(7))
    chroma = np.full((height // 2) * (width // 2), 128, np.uint8).tobytes() * 2
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for frame in [soft] * blurred + [canvas] * sharp:
            out.write(b"FRAME\n" + np.asarray(frame, np.uint8).tobytes() + chroma)
    return path


def camera_page(launch_chromium: Any, tmp_path: Path, text: str) -> Any:
    """A phone-sized page whose (fake) camera keeps seeing ``text`` as a QR code."""
    png = render.render_png(text, render.RenderOptions(scale=6, border=4))
    clip = write_y4m(tmp_path / "camera.y4m", Image.open(io.BytesIO(png)))
    browser = launch_chromium(
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def test_scanner_captures_without_a_click(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    title = "Beef noodles, large"
    text = issue_code(live_server, title)
    page = camera_page(launch_chromium, tmp_path, text)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if r.url.endswith("/decode") else None)
    page.goto(live_server.url + "/")
    has_detector = page.evaluate("'BarcodeDetector' in window")

    page.goto(live_server.url + "/scan")
    page.wait_for_url("**/C/**", timeout=TIMEOUT_MS)
    page.locator("h1.offer-title").wait_for(state="visible")
    assert page.locator("h1.offer-title").inner_text() == title
    assert page.url.endswith("?seen=1")
    assert page.url.split("/C/")[1].startswith(text.rsplit("/", 1)[-1])
    # Headless Chromium on Linux has no BarcodeDetector: frames went to /api/v1/decode.
    assert bool(uploads) != has_detector
    assert not [p for p in problems if "Content Security Policy" in p]

    state = live_server.app.state.rc
    state.scans.flush()
    with state.db.transaction() as db:
        sources = db.scalars(select(ScanEvent.source)).all()
    assert list(sources) == ["scanpage"]  # the code page did not count it twice


def test_scanner_shows_a_foreign_link_before_opening_it(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    page = camera_page(launch_chromium, tmp_path, "https://xn--80ak6aa92e.com/login")
    page.goto(live_server.url + "/scan")
    page.wait_for_url("**/out?url=**", timeout=TIMEOUT_MS)
    # A look-alike is shown by its real spelling, and only secondarily by what it imitates.
    assert page.locator(".domain").inner_text() == "xn--80ak6aa92e.com"
    assert page.locator(".domain-ascii").inner_text() == "аррӏе.com"
    link = page.locator("a[rel='noopener noreferrer nofollow']")
    assert link.get_attribute("href") == "https://xn--80ak6aa92e.com/login"


def test_download_png_decodes_to_the_code_link(live_server: Any, launch_chromium: Any, ui: Any,
                                               tmp_path: Path) -> None:  # fmt: skip
    browser = launch_chromium()
    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    base = live_server.url
    ui.register(page, base, "merchant1")
    shop = ui.shop(page, base, slug="tea-house", title="Green tea 250 g")
    assert shop["code_text"].startswith(base.upper() + "/C/")

    with page.expect_download() as info:
        page.click("a[href$='image.png?download=1']")
    download = info.value
    assert download.suggested_filename.endswith(".png")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    found = zxingcpp.read_barcodes(Image.open(saved))
    assert [b.text for b in found] == [shop["code_text"]]

    preview = page.locator(".code-preview img").first
    preview.wait_for(state="visible")
    assert page.evaluate("(img) => img.naturalWidth", preview.element_handle()) > 0

    copy = page.locator("button[data-copy]").first
    copy.click()
    page.wait_for_function("(b) => b.classList.contains('is-done')", arg=copy.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == shop["code_text"]

    page.goto(base + shop["path"])
    assert page.locator("h1.offer-title").inner_text() == "Green tea 250 g"
    assert not [p for p in problems if "Content Security Policy" in p]

    # Signing up landed on the dashboard, whose script made this browser a device key
    # (WebCrypto Ed25519, private half kept in IndexedDB) and registered the public half.
    page.goto(base + "/account/devices")
    assert page.locator("[data-has-key]").count() == 1
    assert page.locator('meta[name="rc-device-key"]').count() == 0  # not asked again
    stored = page.evaluate("""() => new Promise((resolve) => {
        const req = indexedDB.open("relaycode");
        req.onsuccess = () => {
            const get = req.result.transaction("keys").objectStore("keys").get("device");
            get.onsuccess = () => resolve(get.result.privateKey.extractable);
        };
    })""")
    assert stored is False  # the private key cannot leave the browser
    context.close()


def test_without_a_camera_a_photo_does_it(live_server: Any, launch_chromium: Any,
                                          tmp_path: Path) -> None:  # fmt: skip
    title = "Dumplings, 12 pieces"
    text = issue_code(live_server, title)
    photo = tmp_path / "photo.png"
    canvas = Image.new("RGB", (900, 700), "#f3efe6")
    canvas.paste(Image.open(io.BytesIO(render.render_png(text))), (250, 150))
    canvas.save(photo)
    browser = launch_chromium()  # no fake camera: getUserMedia finds nothing or is refused
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(live_server.url + "/scan?lang=zh-CN")
    page.locator("#scanner[data-state=nocamera]").wait_for()
    status = page.locator("#status").inner_text()
    assert "摄像头" in status  # a clear, translated reason instead of a dead viewfinder
    page.set_input_files("#photo", str(photo))
    page.wait_for_url("**/C/**")
    assert page.locator("h1.offer-title").inner_text() == title
    context.close()

"""Real Chromium at phone size: a new code's card is not hidden under the sticky header,
and a photo upload that fails says why (the API's error code), in the reader's language.

``RELAYCODE_SHOTS_DIR=/tmp/shots`` keeps the phone screenshot for a human to look at.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000


def _phone(launch_chromium: Any, lang: str = "en-US") -> Any:
    browser = launch_chromium()
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale=lang
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def test_new_code_card_is_below_the_sticky_header(
    live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path
) -> None:
    page = _phone(launch_chromium)
    base = live_server.url
    ui.register(page, base, "merchant1")
    ui.shop(page, base, slug="tea-house", title="Green tea 250 g")
    for channel in ("flyer", "magazine", "poster-2"):  # enough below it to scroll to it
        page.fill("#f-channel", channel)
        with page.expect_navigation():
            page.click("main form.issue button[type=submit]")
    assert re.search(r"issued=[0-9a-f]{32}#code-[0-9a-f]{32}$", page.url), page.url
    new_id = page.url.rsplit("#code-", 1)[1]
    card = page.locator(f"#code-{new_id}")
    assert "is-new" in (card.get_attribute("class") or "")
    page.wait_for_load_state("load")
    shot = tmp_path / "new-code-phone.png"
    page.screenshot(path=str(shot))
    if os.environ.get("RELAYCODE_SHOTS_DIR"):
        out = Path(os.environ["RELAYCODE_SHOTS_DIR"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, out / shot.name)
    header = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().bottom")
    top = page.evaluate(f"document.getElementById('code-{new_id}').getBoundingClientRect().top")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0  # the browser did jump to the card
    assert top >= header, (top, header)  # its top edge shows, below the header
    assert Image.open(shot).size == (PHONE["width"] * 2, PHONE["height"] * 2)


def _png_without_code() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), "#c8d8d0").save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("en-US", "", "That file is not a picture we can read."),
        ("zh-CN", "?lang=zh-CN", "无法读取该文件，它不是图片。"),
    ],
)
def test_uploading_a_non_image_says_so(
    live_server: Any, launch_chromium: Any, tmp_path: Path, lang: str, query: str, expected: str
) -> None:
    page = _phone(launch_chromium, lang)
    page.goto(live_server.url + "/scan" + query)
    # No camera in this browser: wait until the scanner has said so, then use a photo.
    page.locator("#scanner[data-state=nocamera]").wait_for(state="attached")
    notes = tmp_path / "notes.txt"
    notes.write_text("these are my notes, not a photo\n")
    with page.expect_response("**/api/v1/decode") as info:
        page.set_input_files("#photo", str(notes))
    assert info.value.status == 422
    page.locator("#scanner[data-error=bad_image]").wait_for(state="attached")
    status = page.locator("#status").inner_text()
    assert status.startswith(expected), status


def test_a_photo_without_a_code_still_says_no_code(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    page = _phone(launch_chromium)
    page.goto(live_server.url + "/scan")
    page.locator("#scanner[data-state=nocamera]").wait_for(state="attached")
    photo = tmp_path / "wall.png"
    photo.write_bytes(_png_without_code())
    with page.expect_response("**/api/v1/decode") as info:
        page.set_input_files("#photo", str(photo))
    assert info.value.status == 200
    page.locator("#status", has_text="No code found").wait_for()
    assert page.evaluate("document.getElementById('scanner').dataset.error") is None

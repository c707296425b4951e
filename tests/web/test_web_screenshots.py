"""Screenshots of every page at phone size, in both languages, for a human to look at.

Opt-in: ``RELAYCODE_SHOTS_DIR=/tmp/shots pytest tests/web/test_web_screenshots.py``.
It asserts little; its product is the PNG files.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

SHOTS = os.environ.get("RELAYCODE_SHOTS_DIR")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not SHOTS, reason="set RELAYCODE_SHOTS_DIR to take screenshots"),
]
PHONE = {"width": 390, "height": 844}
TITLES = {"en": "Green tea 250 g", "zh-CN": "西湖龙井 250 克"}


def _picture(path: Path) -> Path:
    img = Image.new("RGB", (800, 600), "#cfe8df")
    draw = ImageDraw.Draw(img)
    for y in range(600):
        draw.line([(0, y), (800, y)], fill=(200 - y // 8, 230 - y // 10, 215 - y // 9))
    draw.ellipse((250, 170, 550, 470), fill="#f6f1e4", outline="#6b8f71", width=12)
    draw.ellipse((300, 220, 500, 420), fill="#a7c957")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


class Shooter:
    def __init__(self, page: Any, base: str, out: Path, lang: str) -> None:
        self.page, self.base, self.out, self.lang = page, base, out, lang

    def __call__(self, name: str, url: str | None = None, *, full: bool = True) -> None:
        if url is not None:
            self.page.goto(self.base + url)
        self.page.wait_for_load_state("load")
        path = self.out / f"{self.lang}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full)

    def submit(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(selector)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_screenshots(
    live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path, lang: str
) -> None:
    out = Path(str(SHOTS))
    out.mkdir(parents=True, exist_ok=True)
    browser = launch_chromium(
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"
    )
    base = live_server.url
    ctx = browser.new_context(
        viewport=PHONE, device_scale_factor=2, locale=lang, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.on("dialog", lambda d: d.accept())
    shot = Shooter(page, base, out, lang)

    shot("home", f"/?lang={lang}")
    shot("login", "/login")
    page.fill("#f-username", "nobody")
    page.fill("#f-password", "wrong password")
    shot.submit("main form button[type=submit]")
    shot("login-error")
    shot("register", "/register")
    ui.register(page, base, "alice")
    image = _picture(tmp_path / "p.png")
    shop = ui.shop(page, base, slug="tea-house", image=image, title=TITLES[lang])
    offer = f"/dashboard/offers/{shop['offer_id']}"
    shot("dashboard", "/dashboard")
    shot("merchant", "/dashboard/m/tea-house")
    shot("team", "/dashboard/m/tea-house/team")
    page.fill("#f-name", "front-desk till")
    shot.submit("form[action$='/team/keys'] button[type=submit]")
    shot("team-new-key", full=False)
    shot("offer-new", "/dashboard/m/tea-house/offers/new")
    page.fill("#f-title", "x")
    page.fill("#f-price", "12.345")
    page.fill("#f-gtin", "123")
    shot.submit("main form[enctype] button[type=submit]")
    shot("offer-new-errors", full=False)
    shot("offer-admin", offer)
    shot("offer-edit", offer + "/edit")
    shot("code-page", shop["path"])
    shot("public-offer", f"/offers/{shop['offer_id']}")
    page.goto(base + offer)
    shot.submit("main form input[value=pause] + button")
    shot("code-paused", shop["path"])
    page.goto(base + offer)
    shot.submit("main form input[value=activate] + button")
    shot.submit("main form[action$='/revoke'] button")
    shot("offer-admin-revoked", offer)
    shot("code-revoked", shop["path"])
    shot("out-idn", "/out?url=https%3A%2F%2Fxn--80ak6aa92e.com%2Flogin%3Fnext%3D%2Faccount")
    shot("out-plain", "/out?url=https%3A%2F%2Fwww.example.com%2Fshop%2Fitem%3Fid%3D42")
    shot("out-refused", "/out?url=javascript%3Aalert(document.cookie)")
    shot("scanned", "/scanned?text=WIFI%3AT%3AWPA%3BS%3Dcafe%3BP%3Dsecret%3B%3B")
    shot("scanned-gtin", "/scanned?text=4006381333931")
    shot("invalid", "/scan/invalid?reason=bad_tag")
    shot("not-found", "/no/such/page")
    shot("devices", "/account/devices")
    page.goto(base + "/scan")
    page.locator("#scanner[data-state=scanning]").wait_for()
    shot("scan", full=False)
    shot("scan-full")
    assert re.search(r"/C/[A-Z2-7]{42}", shop["path"])
    ctx.close()

    plain = launch_chromium().new_context(viewport=PHONE, device_scale_factor=2, locale=lang)
    page = plain.new_page()
    shot = Shooter(page, base, out, lang)
    page.goto(f"{base}/scan?lang={lang}")
    page.locator("#scanner[data-state=nocamera]").wait_for()
    shot("scan-no-camera")
    plain.close()

    desktop = browser.new_context(viewport={"width": 1280, "height": 860}, locale=lang)
    page = desktop.new_page()
    shot = Shooter(page, base, out, lang)
    shot("desktop-home", f"/?lang={lang}")
    shot("desktop-out", "/out?url=https%3A%2F%2Fxn--80ak6aa92e.com%2F")
    desktop.close()

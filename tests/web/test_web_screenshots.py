"""Screenshots of every page at phone size, in both languages, for a human to look at.

Opt-in: ``RELAYCODE_SHOTS_DIR=/tmp/shots pytest tests/web/test_web_screenshots.py``.
It asserts little; its product is the PNG files.
"""

from __future__ import annotations

import io
import os
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


def test_screenshots(live_server: Any, launch_chromium: Any, ui: Any, tmp_path: Path) -> None:
    out = Path(str(SHOTS))
    out.mkdir(parents=True, exist_ok=True)
    browser = launch_chromium(
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"
    )
    base = live_server.url
    for lang in ("en", "zh-CN"):
        ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, locale=lang,
                                  is_mobile=True, has_touch=True)  # fmt: skip
        ctx.set_default_timeout(15_000)
        page = ctx.new_page()
        page.on("dialog", lambda d: d.accept())

        def shot(name: str, url: str | None = None, *, full: bool = True) -> None:
            if url is not None:
                page.goto(base + url)
            page.wait_for_load_state("load")
            page.screenshot(path=str(out / f"{lang}-{name}.png"), full_page=full)

        shot("home", f"/?lang={lang}")
        shot("login", "/login")
        page.fill("#f-username", "nobody")
        page.fill("#f-password", "wrong password")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        shot("login-error")
        shot("register", "/register")
        user = "alice" if lang == "en" else "li-lei"
        ui.register(page, base, user)
        shop = ui.shop(page, base, slug=f"shop-{lang.lower()}", image=_picture(tmp_path / "p.png"),
                          title="Green tea 250 g" if lang == "en" else "西湖龙井 250 克")  # fmt: skip
        shot("dashboard", "/dashboard")
        shot("merchant", f"/dashboard/m/{shop['slug']}")
        shot("offer-new", f"/dashboard/m/{shop['slug']}/offers/new")
        page.goto(f"{base}/dashboard/m/{shop['slug']}/offers/new")
        page.fill("#f-title", "x")
        page.fill("#f-price", "12.345")
        page.fill("#f-gtin", "123")
        with page.expect_navigation():
            page.click("main form[enctype] button[type=submit]")
        shot("offer-new-errors", full=False)
        shot("offer-admin", f"/dashboard/offers/{shop['offer_id']}")
        shot("offer-edit", f"/dashboard/offers/{shop['offer_id']}/edit")
        shot("code-page", shop["path"])
        shot("public-offer", f"/offers/{shop['offer_id']}")
        page.goto(f"{base}/dashboard/offers/{shop['offer_id']}")
        with page.expect_navigation():
            page.click("main form input[value=pause] + button")
        shot("code-paused", shop["path"])
        shot("out", "/out?url=https%3A%2F%2Fxn--80ak6aa92e.com%2Flogin%3Fnext%3D%2Faccount")
        shot("out-plain", "/out?url=https%3A%2F%2Fwww.example.com%2Fshop%2Fitem%3Fid%3D42")
        shot("out-refused", "/out?url=javascript%3Aalert(document.cookie)")
        shot("scanned", "/scanned?text=WIFI%3AT%3AWPA%3BS%3Dcafe%3BP%3Dsecret%3B%3B")
        shot("scanned-gtin", "/scanned?text=4006381333931")
        shot("invalid", "/scan/invalid?reason=bad_tag")
        shot("revoked", shop["path"].replace("?seen=1", "") + "X")
        shot("not-found", "/no/such/page")
        shot("devices", "/account/devices")
        page.goto(base + "/scan")
        page.wait_for_timeout(1500)
        shot("scan", full=False)
        ctx.close()
        desktop = browser.new_context(viewport={"width": 1280, "height": 860}, locale=lang)
        dpage = desktop.new_page()
        dpage.goto(f"{base}/?lang={lang}")
        dpage.screenshot(path=str(out / f"{lang}-desktop-home.png"), full_page=True)
        desktop.close()

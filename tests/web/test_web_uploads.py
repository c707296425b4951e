"""Pictures through the offer form: above the 64 KiB form limit, within the upload limit."""

from __future__ import annotations

import io
import os
from typing import Any

from PIL import Image


def _noisy_png(side: int = 300) -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, "PNG")
    assert len(buf.getvalue()) > 200 * 1024  # noise does not compress
    return buf.getvalue()


def test_offer_form_pages_take_pictures_above_the_form_limit(pages: Any) -> None:
    pages.register()
    assert pages.post("/dashboard/merchants", {"slug": "tea", "name": "Tea"}).status_code == 303
    fields = {"title": "Tea", "price": "1", "currency": "CNY"}
    picture = {"image": ("tea.png", _noisy_png(), "image/png")}
    r = pages.post("/dashboard/m/tea/offers/new", fields, files=picture)
    assert r.status_code == 303, r.text
    offer_id = r.headers["location"].rsplit("/", 1)[-1]
    r = pages.post(f"/dashboard/offers/{offer_id}/edit", {**fields, "version": "1"}, files=picture)
    assert r.status_code == 303, r.text

"""Hostile or heavy input through the pages: big pictures, limits, control characters."""

from __future__ import annotations

import io
import os
from typing import Any

from PIL import Image

from relaycode.models import Offer


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


def test_sign_in_page_429_says_when_to_retry(pages: Any, settings: Any) -> None:
    for _ in range(settings.login_attempts_per_minute):
        assert pages.post("/login", {"username": "x", "password": "y"}).status_code == 401
    r = pages.post("/login", {"username": "x", "password": "y"})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60


def test_sign_up_page_429_says_when_to_retry(pages: Any) -> None:
    for i in range(10):
        pages.register(f"user{i}")
        pages.post("/logout", {})
    r = pages.post("/register", {"username": "user10", "password": "password123",
                                 "password2": "password123"})  # fmt: skip
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "Too many attempts" in r.text


def test_control_characters_on_the_sign_in_pages(pages: Any) -> None:
    r = pages.post("/login", {"username": "ali\u0000ce", "password": "password123"})
    assert r.status_code == 422 and "Wrong username or password." in r.text
    r = pages.post("/register", {"username": "bob\u0000", "password": "password123",
                                 "password2": "password123"})  # fmt: skip
    assert r.status_code == 422


def test_a_price_is_never_rounded_to_fit(pages: Any, app: Any) -> None:
    """1.00000000000000000000000000001 CNY was saved as 1.00: the 29th digit went."""
    pages.register()
    assert pages.post("/dashboard/merchants", {"slug": "tea", "name": "Tea"}).status_code == 303
    fields = {"title": "Tea", "currency": "CNY", "price": "1.00000000000000000000000000001"}
    r = pages.post("/dashboard/m/tea/offers/new", fields)
    assert r.status_code == 422, r.headers.get("location")
    assert "This currency does not have that many decimals." in r.text
    with app.state.rc.db.transaction() as db:
        assert db.query(Offer).count() == 0


def test_long_prices_are_a_422_with_a_reason(pages: Any, app: Any) -> None:
    """Each of these was a 500 (decimal.InvalidOperation out of Babel)."""
    pages.register()
    assert pages.post("/dashboard/merchants", {"slug": "tea", "name": "Tea"}).status_code == 303
    too_large = "That price is too large."
    for price, lang in [
        ("1,00000000000000000000000000001", "en"),
        ("1,000000000000000000000000000005", "en"),
        ("1" + "0" * 40 + ",5", "en"),
        ("1.00000000000000000000000000001", "de"),
    ]:
        fields = {"title": "Tea", "currency": "CNY", "price": price}
        r = pages.post("/dashboard/m/tea/offers/new", fields, headers={"Accept-Language": lang})
        assert r.status_code == 422 and too_large in r.text, (price, lang, r.status_code)
    with app.state.rc.db.transaction() as db:
        assert db.query(Offer).count() == 0

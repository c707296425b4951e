"""The account's phone section without a browser: states, errors, languages, privacy."""

from __future__ import annotations

from typing import Any

from phone_support import PHONE, last_code, messages
from sqlalchemy import select

from relaycode.config import Settings
from relaycode.models import PhoneCode


def test_enter_send_verify_remove(pages: Any, settings: Settings, app: Any) -> None:
    pages.register()
    r = pages.client.get("/account/phone")
    assert r.status_code == 200 and 'data-phone-state="enter"' in r.text
    assert 'type="tel"' in r.text and 'autocomplete="tel"' in r.text
    r = pages.post("/account/phone", {"phone": "138 0013 8000"})
    assert r.status_code == 303 and r.headers["location"] == "/account/phone"
    shown = pages.client.get("/account/phone").text
    assert 'data-phone-state="pending"' in shown and "+86 138****8000" in shown
    assert 'autocomplete="one-time-code"' in shown
    code = last_code(settings.data_dir)

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    r = pages.post("/account/phone/verify", {"code": wrong})
    assert r.status_code == 400 and "That code is not right" in r.text
    with app.state.rc.db.transaction() as db:  # the page answered, the attempt counted
        row = db.scalar(select(PhoneCode))
        assert row is not None and row.attempts == 1
    assert pages.post("/account/phone/verify", {"code": "12"}).status_code == 422

    r = pages.post("/account/phone/verify", {"code": code})
    assert r.status_code == 303
    shown = pages.client.get("/account/phone").text
    assert 'data-phone-state="verified"' in shown and "+86 138****8000" in shown
    assert "13800138000" not in shown and "0013" not in shown  # masked, even to the owner
    r = pages.post("/account/phone/remove", {})
    assert r.status_code == 303
    assert 'data-phone-state="enter"' in pages.client.get("/account/phone").text


def test_bad_number_and_chinese(pages: Any, settings: Settings) -> None:
    pages.register()
    r = pages.post("/account/phone?lang=zh-CN", {"phone": "010 8888 8888"})
    assert r.status_code == 422 and "这不是可接收短信的手机号" in r.text
    assert 'value="010 8888 8888"' in r.text  # what they typed, to correct it
    assert messages(settings.data_dir) == []
    page = pages.client.get("/account/phone?lang=zh-CN").text
    assert "你的手机号" in page and "发送验证码" in page


def test_no_code_on_its_way(pages: Any) -> None:
    pages.register()
    r = pages.post("/account/phone/verify", {"code": "123456"})
    assert r.status_code == 410 and "expired" in r.text


def test_registering_with_a_phone_leads_to_the_phone_page(pages: Any) -> None:
    form = {"username": "zoe", "password": "password123", "password2": "password123",
            "phone": "+86 138 0013 8000"}  # fmt: skip
    r = pages.post("/register", form)
    assert r.status_code == 303 and r.headers["location"] == "/account/phone"
    shown = pages.client.get("/account/phone").text
    assert 'data-phone-state="claimed"' in shown and "+86 138****8000" in shown
    assert "13800138000" not in shown  # the claim is masked, too
    r = pages.post("/account/phone", {"claim": "1"})  # "text a code to this number"
    assert r.status_code == 303
    assert 'data-phone-state="pending"' in pages.client.get("/account/phone").text
    bad = {**form, "username": "zed", "phone": "not a phone"}
    r = pages.post("/register", bad)
    assert r.status_code == 422 and "not a mobile number" in r.text


def test_signed_out_goes_to_sign_in(client: Any) -> None:
    r = client.get("/account/phone", follow_redirects=False)
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]


def test_the_number_typed_is_not_in_a_url_or_cookie(pages: Any) -> None:
    pages.register()
    r = pages.post("/account/phone", {"phone": PHONE})
    assert PHONE not in r.headers.get("location", "")
    assert "13800138000" not in r.headers.get("set-cookie", "")

"""Normalising and masking numbers, and choosing the SMS backend by configuration."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from helpers import auth, register

from relaycode import backends
from relaycode.config import Settings
from relaycode.identity.phone import BadPhone, mask_phone, normalise_phone, phone_key
from relaycode.notify.sms import FileSms, sms_from_settings


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("13800138000", "CN", "+8613800138000"),
        ("138 0013 8000", None, "+8613800138000"),  # the default region, CN
        ("+86 (138) 0013-8000", "US", "+8613800138000"),
        ("0086 138 0013 8000", "CN", "+8613800138000"),
        ("+44 7911 123456", None, "+447911123456"),
        ("07911 123456", "gb", "+447911123456"),
        ("(650) 253-0000", "US", "+16502530000"),  # fixed or mobile: accepted
        ("+86１３８００１３８０００", None, "+8613800138000"),  # full-width digits
    ],
)
def test_normalise(text: str, region: str | None, e164: str) -> None:
    assert normalise_phone(text, region) == e164


@pytest.mark.parametrize(
    "text", ["", "   ", "abc", "+86 10 8888 8888", "12345", "+999 1234567", "1" * 41, "+86 138"]
)
def test_not_a_mobile_number(text: str) -> None:
    with pytest.raises(BadPhone) as caught:
        normalise_phone(text)
    assert caught.value.code == "bad_phone" and caught.value.status == 422


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+8613800138000", "+86 138****8000"),
        ("+447911123456", "+44 791***3456"),
        ("+16502530000", "+1 650***0000"),
        ("+35312345", "+353 1**45"),
    ],
)
def test_mask(e164: str, masked: str) -> None:
    assert mask_phone(e164) == masked


def test_phone_key_hides_the_number() -> None:
    key = phone_key("+8613800138000")
    assert "138" not in key and len(key) == 32 and key == phone_key("+8613800138000")


class CollectingSms:
    sent: ClassVar[list[tuple[str, str]]] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> CollectingSms:
        return cls()

    def send(self, to_e164: str, text: str) -> str:
        self.sent.append((to_e164, text))
        return f"m{len(self.sent)}"


class NotSms:
    @classmethod
    def from_settings(cls, settings: Settings) -> NotSms:
        return cls()


def test_backend_by_setting(settings: Settings) -> None:
    assert isinstance(sms_from_settings(settings), FileSms)
    custom = settings.model_copy(update={"sms_backend": f"{__name__}:CollectingSms"})
    assert isinstance(sms_from_settings(custom), CollectingSms)
    for wrong in ("nope", "no.such.module:Sms", f"{__name__}:NotSms"):
        with pytest.raises(backends.BackendError):
            sms_from_settings(settings.model_copy(update={"sms_backend": wrong}))


def test_an_operators_gateway_gets_the_codes(settings: Settings) -> None:
    from relaycode.app import create_app

    CollectingSms.sent.clear()
    app: Any = create_app(settings.model_copy(update={"sms_backend": f"{__name__}:CollectingSms"}))
    try:
        with TestClient(app) as client:
            token = register(client)
            body = {"phone": "+8613800138000"}
            assert client.post("/api/v1/me/phone", json=body, headers=auth(token)).is_success
        ((to, text),) = CollectingSms.sent
        assert to == "+8613800138000" and "relaycode code:" in text
        assert not (settings.data_dir / "sms").exists()  # nothing through the file backend
    finally:
        app.state.rc.db.dispose()

"""Phone numbers proved with one-time codes: the API, the file SMS backend, privacy."""

from __future__ import annotations

import logging
import os
import stat
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, register
from phone_support import OTHER, PHONE, last_code, messages
from sqlalchemy import select

from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.identity import phone
from relaycode.models import InboxItem, PhoneCode, User


def _ask(client: TestClient, token: str, number: str = "138 0013 8000") -> Any:
    return client.post("/api/v1/me/phone", json={"phone": number}, headers=auth(token))


def _verify(client: TestClient, token: str, code: str, number: str = PHONE) -> Any:
    body = {"phone": number, "code": code}
    return client.post("/api/v1/me/phone/verify", json=body, headers=auth(token))


def _user(app: Any, username: str) -> User:
    with app.state.rc.db.transaction() as db:
        user = db.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


def test_a_code_proves_the_number(client: TestClient, app: Any, settings: Settings) -> None:
    token = register(client)
    r = _ask(client, token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verified"] is False and body["pending"] == "+86 138****8000"
    assert r.headers["cache-control"] == "no-store"
    (sms,) = messages(settings.data_dir)
    assert sms["to"] == PHONE and set(sms) == {"id", "time", "to", "text"}
    path = next((settings.data_dir / "sms").glob("*.json"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    code = last_code(settings.data_dir)
    with app.state.rc.db.transaction() as db:  # kept as an HMAC, never as the code
        row = db.scalar(select(PhoneCode))
        assert row is not None and code not in row.code_hash and len(row.code_hash) == 64

    r = _verify(client, token, code)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "phone": PHONE, "masked": "+86 138****8000", "verified": True, "pending": None,
        "expires_at": None,
    }  # fmt: skip
    assert client.get("/api/v1/me/phone", headers=auth(token)).json()["verified"] is True
    with app.state.rc.db.transaction() as db:
        found = phone.find_user_by_verified_phone(db, PHONE)
        assert found is not None and found.username == "alice"
        assert db.scalar(select(PhoneCode)) is None  # used up
    # The code, used once, does not work again.
    assert _verify(client, token, code).json()["error"]["code"] == "code_expired"


def test_the_text_reaches_the_inbox_of_whoever_waits_for_it(
    client: TestClient, app: Any, settings: Settings
) -> None:
    token = register(client)
    _ask(client, token)
    code = last_code(settings.data_dir)
    with app.state.rc.db.transaction() as db:
        (item,) = db.scalars(select(InboxItem))
        assert item.kind == "sms" and code in item.data["message"]
        assert PHONE not in str(item.data)  # the text, never the number
    inbox = client.get("/api/v1/me/inbox", headers=auth(token)).json()["items"]
    assert inbox[0]["title"] == "Text message" and code in inbox[0]["body"]


def test_zh_cn_text(client: TestClient, settings: Settings) -> None:
    token = register(client)
    headers = {**auth(token), "Accept-Language": "zh-CN"}
    client.post("/api/v1/me/phone", json={"phone": PHONE}, headers=headers)
    assert "验证码" in messages(settings.data_dir)[-1]["text"]


@pytest.mark.parametrize(
    "number", ["", "hello", "12", "+86 10 8888 8888", "+1 999 999 9999", "1" * 41]
)
def test_bad_numbers(client: TestClient, number: str, settings: Settings) -> None:
    token = register(client)
    r = _ask(client, token, number)
    assert r.status_code == 422
    assert r.json()["error"]["code"] in ("bad_phone", "invalid_input")
    assert messages(settings.data_dir) == []


def test_wrong_expired_and_too_many(client: TestClient, app: Any, settings: Settings) -> None:
    token = register(client)
    _ask(client, token)
    code = last_code(settings.data_dir)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    r = _verify(client, token, wrong)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_code"
    assert r.json()["error"]["details"] == {"attempts_left": 4}
    assert _verify(client, token, "12345").status_code == 422  # not a code: not counted
    assert _verify(client, token, code, OTHER).json()["error"]["code"] == "code_expired"
    for left in (3, 2, 1):
        assert _verify(client, token, wrong).json()["error"]["details"]["attempts_left"] == left
    r = _verify(client, token, wrong)
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    # The cap is reached: even the right code no longer works.
    assert _verify(client, token, code).json()["error"]["code"] == "too_many_attempts"
    with app.state.rc.db.transaction() as db:
        row = db.scalar(select(PhoneCode))
        assert row is not None and row.attempts == 5

    _ask(client, token)  # a new code starts afresh
    code = last_code(settings.data_dir)
    with app.state.rc.db.transaction() as db:
        row = db.scalar(select(PhoneCode))
        assert row is not None and row.attempts == 0
        row.expires_at = utcnow()
    r = _verify(client, token, code)
    assert r.status_code == 410 and r.json()["error"]["code"] == "code_expired"
    assert _user(app, "alice").phone_verified_at is None


def test_a_rolled_back_request_sends_nothing(app: Any, settings: Settings) -> None:
    from relaycode.identity.phone_endpoints import verifier

    with TestClient(app) as c:
        register(c)
    db = app.state.rc.db.sessionmaker()
    try:
        user = db.scalar(select(User))
        assert user is not None
        verifier(app.state.rc).request_code(db, user, PHONE, "en")
        db.rollback()
    finally:
        db.close()
    assert messages(settings.data_dir) == []


def test_the_answer_is_the_same_for_a_number_someone_holds(
    client: TestClient, settings: Settings
) -> None:
    alice, bob = register(client), register(client, "bob")
    _ask(client, alice)
    assert _verify(client, alice, last_code(settings.data_dir)).status_code == 200
    mine, theirs = _ask(client, bob, "+86 139 0013 9000").json(), _ask(client, bob).json()
    assert mine.keys() == theirs.keys() and theirs["pending"] == "+86 138****8000"
    # The text goes to the phone (alice's inbox here), not to bob; proving it is bob's
    # only way to learn it is taken.
    code = last_code(settings.data_dir)
    r = _verify(client, bob, code)
    assert r.status_code == 409 and r.json()["error"]["code"] == "phone_taken"
    bob_inbox = client.get("/api/v1/me/inbox", headers=auth(bob)).json()["items"]
    assert all(code not in i["body"] for i in bob_inbox)
    alice_inbox = client.get("/api/v1/me/inbox", headers=auth(alice)).json()["items"]
    assert code in alice_inbox[0]["body"]


def test_verifying_drops_other_unverified_claims(
    client: TestClient, app: Any, settings: Settings
) -> None:
    r = client.post(
        "/api/v1/auth/register",
        json={"username": "carol", "password": "correct horse 1", "phone": "13800138000"},
    )
    assert r.status_code == 201
    assert _user(app, "carol").phone == PHONE  # normalised, unverified
    alice = register(client)
    _ask(client, alice)
    assert _verify(client, alice, last_code(settings.data_dir)).status_code == 200
    assert _user(app, "carol").phone is None
    assert _user(app, "alice").phone == PHONE


def test_register_refuses_a_bad_phone(client: TestClient) -> None:
    body = {"username": "dave", "password": "correct horse 1", "phone": "+86 10 8888 8888"}
    r = client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_phone"


def test_registration_then_verification(client: TestClient, settings: Settings) -> None:
    body = {"username": "erin", "password": "correct horse 1", "phone": "+86 138-0013-8000"}
    token = client.post("/api/v1/auth/register", json=body).json()["token"]
    state = client.get("/api/v1/me/phone", headers=auth(token)).json()
    assert state == {"phone": PHONE, "masked": "+86 138****8000", "verified": False,
                     "pending": None, "expires_at": None}  # fmt: skip
    _ask(client, token, PHONE)
    assert _verify(client, token, last_code(settings.data_dir)).status_code == 200


def test_changing_keeps_the_old_number_until_the_new_one_is_proved(
    client: TestClient, app: Any, settings: Settings
) -> None:
    token = register(client)
    _ask(client, token)
    _verify(client, token, last_code(settings.data_dir))
    _ask(client, token, OTHER)
    assert _user(app, "alice").phone == PHONE
    assert _ask(client, token, PHONE).json()["verified"] is True  # already: nothing sent
    assert len(messages(settings.data_dir)) == 2
    r = _verify(client, token, last_code(settings.data_dir, OTHER), OTHER)
    assert r.status_code == 200 and r.json()["phone"] == OTHER


def test_delete(client: TestClient, app: Any, settings: Settings) -> None:
    token = register(client)
    _ask(client, token)
    _verify(client, token, last_code(settings.data_dir))
    r = client.delete("/api/v1/me/phone", headers=auth(token))
    assert r.status_code == 200 and r.json()["phone"] is None
    with app.state.rc.db.transaction() as db:
        assert phone.find_user_by_verified_phone(db, PHONE) is None


def test_limits_per_user_and_per_number(settings: Settings) -> None:
    from relaycode.app import create_app

    limits = {"phone_codes_per_user": "2 per hour", "phone_codes_per_number": "3 per hour"}
    app = create_app(settings.model_copy(update=limits))
    try:
        with TestClient(app) as client:
            alice, bob = register(client), register(client, "bob")
            assert _ask(client, alice).status_code == 200
            assert _ask(client, alice).status_code == 200
            r = _ask(client, alice)
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
            assert _ask(client, bob).status_code == 200  # the number's third
            assert _ask(client, bob).status_code == 429  # the number's fourth
            assert _ask(client, bob, OTHER).status_code == 200
            assert len(messages(settings.data_dir)) == 4
    finally:
        app.state.rc.db.dispose()


def test_hooks_run_in_the_same_transaction(
    client: TestClient, app: Any, settings: Settings
) -> None:
    seen: list[tuple[str | None, bool]] = []

    def claim(db: Any, user: User) -> None:
        seen.append((user.phone, db.in_transaction()))

    def refuse(db: Any, user: User) -> None:
        raise RuntimeError("the hook failed")

    token = register(client)
    phone.register_phone_hook(claim)
    phone.register_phone_hook(claim)  # once only
    try:
        _ask(client, token)
        assert _verify(client, token, last_code(settings.data_dir)).status_code == 200
        assert seen == [(PHONE, True)]
        phone.register_phone_hook(refuse)
        _ask(client, token, OTHER)
        assert _verify(client, token, last_code(settings.data_dir, OTHER), OTHER).status_code == 500
        assert _user(app, "alice").phone == PHONE  # rolled back with the hook
    finally:
        phone.on_phone_verified.clear()


def test_no_number_in_logs(
    client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = register(client)
    _ask(client, token)
    _verify(client, token, "000000")
    _verify(client, token, last_code(settings.data_dir))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "13800138000" not in logged and "138 0013" not in logged


def test_a_failing_gateway_is_logged_without_the_number(
    client: TestClient, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def send(self, to_e164: str, text: str) -> str:
            raise OSError(f"gateway refused {to_e164}: {text}")

    app.state.rc.sms = Broken()
    token = register(client)
    assert _ask(client, token).status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "SMS send failed: OSError" in logged and "13800138000" not in logged

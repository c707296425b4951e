"""Phone codes under real concurrency (uvicorn, one connection per racer): 20 wrong
guesses at once never exceed the attempt cap, and of two accounts proving one number at
the same instant exactly one gets it. Both databases (RELAYCODE_TEST_DATABASE)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import httpx
from helpers import auth, register
from live import clients, live_app, race
from phone_support import PHONE, last_code
from sqlalchemy import func, select

from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.db.session import Database
from relaycode.errors import AppError
from relaycode.identity.phone import find_user_by_verified_phone
from relaycode.identity.phone_codes import MAX_ATTEMPTS
from relaycode.identity.phone_endpoints import verifier
from relaycode.models import PhoneCode, User

RACERS = 20


def _verify(c: httpx.Client, token: str, code: str) -> str:
    r = c.post("/api/v1/me/phone/verify", json={"phone": PHONE, "code": code},
               headers=auth(token))  # fmt: skip
    return "ok" if r.status_code == 200 else str(r.json()["error"]["code"])


def test_concurrent_wrong_guesses_stop_at_the_cap(settings: Settings) -> None:
    with live_app(settings) as (url, app):
        racers = clients(url, RACERS)
        token = register(racers[0])
        r = racers[0].post("/api/v1/me/phone", json={"phone": PHONE}, headers=auth(token))
        assert r.status_code == 200, r.text
        code = last_code(settings.data_dir)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        results = Counter(race(RACERS, lambda i: _verify(racers[i], token, wrong)))
        # Serialised by the account's row lock: four "bad_code", the fifth wrong guess
        # reaches the cap, and every later one is refused without being counted.
        assert results == {"bad_code": MAX_ATTEMPTS - 1, "too_many_attempts": RACERS - 4}
        with app.state.rc.db.transaction() as db:
            row = db.scalar(select(PhoneCode))
            assert row is not None and row.attempts == MAX_ATTEMPTS
        assert _verify(racers[0], token, code) == "too_many_attempts"
        for c in racers:
            c.close()


def _prove(c: httpx.Client, token: str, number: str, settings: Settings) -> None:
    assert c.post("/api/v1/me/phone", json={"phone": number}, headers=auth(token)).is_success
    body = {"phone": number, "code": last_code(settings.data_dir, number)}
    assert c.post("/api/v1/me/phone/verify", json=body, headers=auth(token)).is_success


def test_two_accounts_prove_one_number_at_once(settings: Settings) -> None:
    # Several rounds: the race is real, not one lucky ordering. In even rounds both
    # accounts claim the number (users.phone), so both lock both rows and queue; in odd
    # rounds neither row shows the claim and the unique index decides.
    pairs = 6
    with live_app(settings) as (url, app):
        racers = clients(url, 2)
        for n in range(pairs):
            number = f"+86138001380{n:02d}"
            tokens = [register(racers[i], f"p{n}u{i}") for i in range(2)]
            if n % 2:  # each holds another number already: the claim is only in the code
                for i in range(2):
                    _prove(racers[i], tokens[i], f"+8613900139{n:02d}{i}", settings)
            codes = []
            for i in range(2):
                body = {"phone": number}
                r = racers[i].post("/api/v1/me/phone", json=body, headers=auth(tokens[i]))
                assert r.status_code == 200, r.text
                codes.append(last_code(settings.data_dir, number))

            def attempt(
                i: int, number: str = number, codes: list[str] = codes, tokens: list[str] = tokens
            ) -> str:
                r = racers[i].post(
                    "/api/v1/me/phone/verify",
                    json={"phone": number, "code": codes[i]},
                    headers=auth(tokens[i]),
                )
                return "ok" if r.status_code == 200 else str(r.json()["error"]["code"])

            assert sorted(race(2, attempt)) == ["ok", "phone_taken"]
            with app.state.rc.db.transaction() as db:
                holders = db.scalar(
                    select(func.count())
                    .select_from(User)
                    .where(User.phone == number, User.phone_verified_at.is_not(None))
                )
                assert holders == 1
        for c in racers:
            c.close()


def test_the_unique_index_decides_when_no_claim_is_visible(app: Any, settings: Settings) -> None:
    """Two proofs of one number where neither account's row shows the claim (each holds
    another verified number): the first is left uncommitted while the second runs on its
    own connection. On PostgreSQL the second waits on the unique index, then fails it; on
    SQLite it waits for the writer gate, then sees the holder. Either way: phone_taken."""
    state = app.state.rc
    db: Database = state.db
    check = verifier(state)
    ids = []
    with db.transaction() as s:
        for i in range(2):
            made = User(kind="registered", username=f"ix{i}", pseudonym=f"ixpseudo{i}",
                        phone=f"+861390013900{i}", phone_verified_at=utcnow())  # fmt: skip
            s.add(made)
            s.flush()
            ids.append(made.id)
    codes = []
    for user_id in ids:
        with db.transaction() as s:
            found = s.get(User, user_id)
            assert found is not None
            check.request_code(s, found, PHONE, "en")
        codes.append(last_code(settings.data_dir))
    first = db.sessionmaker()
    try:
        user = first.get(User, ids[0])
        assert user is not None
        check.verify_code(first, user, PHONE, codes[0])  # flushed, not committed
        outcome: list[str] = []

        def second() -> None:
            try:
                with db.transaction() as s:
                    other = s.get(User, ids[1])
                    assert other is not None
                    check.verify_code(s, other, PHONE, codes[1])
                outcome.append("ok")
            except AppError as err:
                outcome.append(err.code)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive()  # waiting for the first
        first.commit()
        thread.join(timeout=30)
        assert outcome == ["phone_taken"]
    finally:
        first.close()
    with db.transaction() as s:
        holder = find_user_by_verified_phone(s, PHONE)
        assert holder is not None and holder.id == ids[0]

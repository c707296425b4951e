"""Phone codes under real concurrency (uvicorn, one connection per racer): 20 wrong
guesses at once never exceed the attempt cap, and of two accounts proving one number at
the same instant exactly one gets it. Both databases (RELAYCODE_TEST_DATABASE)."""

from __future__ import annotations

from collections import Counter

import httpx
from helpers import auth, register
from live import clients, live_app, race
from phone_support import PHONE, last_code
from sqlalchemy import func, select

from relaycode.config import Settings
from relaycode.identity.phone_codes import MAX_ATTEMPTS
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

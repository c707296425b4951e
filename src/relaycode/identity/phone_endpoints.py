"""HTTP for phone numbers: ask for a code, prove the number, forget it (docs/phone.md)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaycode.deps import DbDep, NoStore, ReadDbDep, StateDep
from relaycode.errors_http import json_error
from relaycode.identity import phone_codes
from relaycode.identity.auth import UserDep
from relaycode.identity.phone_codes import PhoneCodeRejected, PhoneVerifier
from relaycode.identity.schemas import PhoneIn, PhoneOut, PhoneVerifyIn
from relaycode.state import AppState
from relaycode.web import i18n

router = APIRouter(tags=["identity"])


def verifier(state: AppState) -> PhoneVerifier:
    return PhoneVerifier(state.settings, state.keyring, state.sms, state.throttle.store)


def _out(state: phone_codes.PhoneState) -> PhoneOut:
    return PhoneOut(**asdict(state))


@router.get("/me/phone", dependencies=[NoStore])
def my_phone(user: UserDep, db: ReadDbDep) -> PhoneOut:
    """Your number, whether it is verified, and where a code is on its way."""
    return _out(phone_codes.state_of(db, user))


@router.post("/me/phone", dependencies=[NoStore])
def request_code(
    data: PhoneIn, request: Request, user: UserDep, db: DbDep, state: StateDep
) -> PhoneOut:
    """Send a 6-digit code to the number (valid 10 minutes, 5 tries).

    The answer is the same whoever holds the number. 422 ``bad_phone``; 429 with
    ``Retry-After`` past the limits per account and per number."""
    found = verifier(state).request_code(db, user, data.phone, i18n.pick_lang(request))
    return _out(found)


@router.post("/me/phone/verify", dependencies=[NoStore], response_model=PhoneOut)
def verify_code(data: PhoneVerifyIn, user: UserDep, db: DbDep, state: StateDep) -> Response:
    """Prove the number with the code it was sent: it becomes your verified number.

    400 ``bad_code`` (with ``details.attempts_left``), 410 ``code_expired``, 429
    ``too_many_attempts`` (ask for a new code), 409 ``phone_taken``."""
    try:
        me = verifier(state).verify_code(db, user, data.phone, data.code)
    except PhoneCodeRejected as err:
        # Answered, not raised: the wrong attempt it counted must be committed.
        return json_error(err)
    body = _out(phone_codes.state_of(db, me))
    return Response(body.model_dump_json(), media_type="application/json")


@router.delete("/me/phone", dependencies=[NoStore])
def remove_phone(user: UserDep, db: DbDep) -> PhoneOut:
    """Forget your number (verified or not) and any code on its way."""
    return _out(phone_codes.state_of(db, phone_codes.remove_phone(db, user)))

"""HTTP for identity: thin wrappers over the service."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from relaycode.deps import DbDep, NoStore, ReadDbDep, StateDep
from relaycode.identity import repository as repo
from relaycode.identity import service
from relaycode.identity.auth import PrincipalDep, UserDep
from relaycode.identity.schemas import (
    DeviceAccountIn,
    DeviceOut,
    LoginIn,
    PublicKeyIn,
    RegisterIn,
    TokenOut,
    UserOut,
)
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut

router = APIRouter(tags=["identity"])


def _token_out(sign_in: service.SignIn) -> TokenOut:
    return TokenOut(
        token=sign_in.secret,
        device_id=sign_in.device.device_uid,
        user=UserOut.model_validate(sign_in.user),
    )


@router.post("/auth/register", status_code=status.HTTP_201_CREATED, dependencies=[NoStore])
def register(data: RegisterIn, request: Request, db: DbDep, state: StateDep) -> TokenOut:
    """Create an account with a username and password; answers with a session token.

    A ``phone`` is kept unverified (422 ``bad_phone`` if it is not a mobile number);
    prove it with ``POST /api/v1/me/phone`` and ``/me/phone/verify``.

    Limited per client address (``RELAYCODE_SIGNUPS_PER_ADDRESS``)."""
    address = state.throttle.signup(request, "register")
    region = state.settings.default_phone_region
    user = service.register(db, state.passwords, data, phone_region=region)
    state.throttle.remember(user.username or "", address)
    device = service.attach_device(db, user, None, data.device_label)
    return _token_out(
        service.start_session(db, user, device, kind="api", days=state.settings.session_days)
    )


@router.post("/auth/login", dependencies=[NoStore])
def login(data: LoginIn, request: Request, db: DbDep, state: StateDep) -> TokenOut:
    """Sign in with username and password; answers with a session token.

    Wrong passwords are limited per client address and per account: a 429 with
    ``Retry-After`` says how long to wait."""
    with state.throttle.login(request, data.username):
        user = service.authenticate(db, state.passwords, data.username, data.password)
    device = service.attach_device(db, user, data.device_id, data.device_label)
    return _token_out(
        service.start_session(db, user, device, kind="api", days=state.settings.session_days)
    )


@router.post("/auth/device", status_code=status.HTTP_201_CREATED, dependencies=[NoStore])
def device_account(data: DeviceAccountIn, request: Request, db: DbDep, state: StateDep) -> TokenOut:
    """An account identified by its device id alone (no registration)."""
    state.throttle.signup(request, "device")
    user = service.create_device_account(db, data.device_label)
    device = service.attach_device(db, user, None, data.device_label)
    return _token_out(
        service.start_session(db, user, device, kind="api", days=state.settings.session_days)
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(principal: PrincipalDep, db: DbDep) -> None:
    """End the session of the token sent (other sessions stay)."""
    if principal.session is not None:
        service.end_session(db, principal.session)


@router.get("/me")
def me(user: UserDep) -> UserOut:
    """The signed-in account."""
    return UserOut.model_validate(user)


@router.get("/me/devices")
def my_devices(
    user: UserDep, db: ReadDbDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> ListOut[DeviceOut]:
    """Your devices, oldest first, a page at a time."""
    page = repo.devices_page(db, user.id, cursor=cursor, limit=limit)
    items = [DeviceOut.model_validate(d) for d in page.items]
    return ListOut(items=items, next_cursor=page.next_cursor)


@router.delete("/me/devices/{device_uid}")
def revoke_device(device_uid: str, user: UserDep, db: DbDep) -> DeviceOut:
    """Revoke one of your devices: its sessions end at once."""
    return DeviceOut.model_validate(service.revoke_device(db, user, device_uid))


@router.put("/me/device/public-key")
def register_device_key(
    data: PublicKeyIn, user: UserDep, principal: PrincipalDep, db: DbDep
) -> DeviceOut:
    """Register the public half of a key the browser generated and keeps."""
    return DeviceOut.model_validate(
        service.set_device_key(db, user, principal.device, data.public_key)
    )

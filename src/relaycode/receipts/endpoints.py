"""HTTP for receipts (thin): shop payment codes, paying them, service requests and
vouchers, verification links. docs/receipts.md is the contract."""

# No ``from __future__ import annotations``: FastAPI reads the signatures at runtime.

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Response, status
from sqlalchemy.orm import Session

from relaycode.codes import render
from relaycode.codes.answers import code_text
from relaycode.credentials.holders import resolve_holder
from relaycode.credentials.offline_forms import make_text
from relaycode.credentials.service import EDITORS, READERS, SCOPE, is_team, merchant_of
from relaycode.db.base import is_db_id, utcnow
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import NotFound
from relaycode.identity.auth import PrincipalDep, UserDep
from relaycode.lists import DEFAULT_LIMIT, CursorQuery, LimitQuery, ListOut
from relaycode.merchants.service import authorize
from relaycode.models import (
    Code,
    Credential,
    CredentialTemplate,
    Merchant,
    PaymentCode,
    ServiceRequest,
    User,
)
from relaycode.receipts import links, paycodes, paying, vouchers
from relaycode.receipts.schemas import (
    PaidOut,
    PayIn,
    PaymentCodeIn,
    PaymentCodeOut,
    ReceiptOut,
    ServiceRequestOut,
    ShopPaymentOut,
    StaffServiceRequestIn,
    UserServiceRequestIn,
    VerificationLinkIn,
    VerificationLinkOut,
)
from relaycode.state import AppState

router = APIRouter(tags=["receipts"])
MerchantId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The merchant's id")]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Its id")]
CredentialId = Annotated[
    str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-fA-F]{32}$", description="Its id")
]
KeyHeader = Annotated[
    str,
    Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
           description="Required: a retried pay with the same key (and body) pays once"),
]  # fmt: skip
_MEDIA = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


def _team_merchant(
    db: Session, principal: PrincipalDep, merchant_id: int, roles: tuple[str, ...]
) -> Merchant:
    merchant = merchant_of(db, merchant_id) if is_db_id(merchant_id) else None
    if merchant is None or not is_team(db, principal, merchant.id, READERS):
        raise NotFound("no such merchant", code="merchant_not_found")
    authorize(db, principal, merchant, roles=roles, scope=SCOPE)
    return merchant


def code_out(state: AppState, db: Session, pc: PaymentCode) -> PaymentCodeOut:
    code = db.get(Code, pc.code_id)
    merchant = merchant_of(db, pc.merchant_id)
    return PaymentCodeOut(
        id=pc.id, merchant_id=pc.merchant_id, payee=merchant.name, label=pc.label,
        currency=pc.currency, methods=list(pc.methods), code_id=pc.code_id,
        status="active" if code is not None and code.status == "active" else "withdrawn",
        text=code_text(state.settings, state.keyring, code) if code else None,
        created_at=pc.created_at,
    )  # fmt: skip


def receipt_out(state: AppState, db: Session, receipt: Credential, holder: User) -> ReceiptOut:
    template = db.get(CredentialTemplate, receipt.template_id)
    code = db.get(Code, receipt.code_id)
    assert template is not None
    text = make_text("signed", state.keyring, receipt, template, holder, None, now=utcnow())
    return ReceiptOut(
        credential_id=receipt.id, text=text,
        reference_text=code_text(state.settings, state.keyring, code) if code else None,
    )  # fmt: skip


@router.post("/merchants/{merchant_id}/payment-codes", status_code=status.HTTP_201_CREATED)
def create_payment_code(
    merchant_id: MerchantId, data: PaymentCodeIn, user: UserDep, principal: PrincipalDep,
    db: DbDep, state: StateDep,
) -> PaymentCodeOut:  # fmt: skip
    """A shop's payment code (owners, staff): payee, currency, accepted methods."""
    merchant = _team_merchant(db, principal, merchant_id, EDITORS)
    pc = paycodes.create(db, state.keyring, merchant, currency=data.currency,
                         methods=data.methods, label=data.label, actor=user)  # fmt: skip
    return code_out(state, db, pc)


@router.get("/merchants/{merchant_id}/payment-codes")
def list_payment_codes(
    merchant_id: MerchantId,
    user: UserDep,
    principal: PrincipalDep,
    db: ReadDbDep,
    state: StateDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[PaymentCodeOut]:
    """The merchant's payment codes, oldest first (its team)."""
    _team_merchant(db, principal, merchant_id, READERS)
    found = paycodes.of_merchant(db, merchant_id, cursor=cursor, limit=limit)
    items = [code_out(state, db, pc) for pc, _status in found.items]
    return ListOut(items=items, next_cursor=found.next_cursor)


def _visible_code(db: Session, principal: PrincipalDep, pc_id: int) -> PaymentCode:
    pc = db.get(PaymentCode, pc_id) if is_db_id(pc_id) else None
    if pc is None or not is_team(db, principal, pc.merchant_id, READERS):
        raise NotFound("no such payment code", code="payment_code_not_found")
    return pc


@router.get("/payment-codes/{payment_code_id}")
def get_payment_code(
    payment_code_id: ItemId,
    user: UserDep,
    principal: PrincipalDep,
    db: ReadDbDep,
    state: StateDep,
) -> PaymentCodeOut:
    """One payment code with its text (the merchant's team)."""
    return code_out(state, db, _visible_code(db, principal, payment_code_id))


@router.post("/payment-codes/{payment_code_id}/withdraw")
def withdraw_payment_code(
    payment_code_id: ItemId, user: UserDep, principal: PrincipalDep, db: DbDep,
    state: StateDep,
) -> PaymentCodeOut:  # fmt: skip
    """Withdraw a payment code (owners, staff): its code is revoked, so scans and payments
    through it answer ``code_revoked`` (410). Again: the same answer, nothing changes."""
    pc = _visible_code(db, principal, payment_code_id)
    authorize(db, principal, merchant_of(db, pc.merchant_id), roles=EDITORS, scope=SCOPE)
    paycodes.withdraw(db, pc)
    return code_out(state, db, pc)


@router.get(
    "/payment-codes/{payment_code_id}/image.{fmt}",
    response_class=Response,
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}},
)
def payment_code_image(
    payment_code_id: ItemId, fmt: Literal["png", "svg", "pdf"], user: UserDep,
    principal: PrincipalDep, db: ReadDbDep, state: StateDep,
) -> Response:  # fmt: skip
    """The payment code to print (PNG, SVG, PDF), captioned with the payee's name."""
    pc = _visible_code(db, principal, payment_code_id)
    out = code_out(state, db, pc)
    if out.text is None:
        raise NotFound("this code's key was retired", code="key_retired")
    renderer = {"png": render.render_png, "svg": render.render_svg, "pdf": render.render_pdf}[fmt]
    options = render.RenderOptions(caption=out.payee[:80])
    return Response(renderer(out.text, options), media_type=_MEDIA[fmt])


@router.post("/payment-codes/pay", status_code=status.HTTP_201_CREATED)
def pay(
    data: PayIn, response: Response, user: UserDep, idempotency_key: KeyHeader,
    db: DbDep, state: StateDep,
) -> PaidOut:  # fmt: skip
    """Pay the shop a payment code names (201) and get a signed receipt. The same key and
    body again: the same payment (200); another body: 422 `idempotency_key_reused`;
    `insufficient_funds` (409) records nothing."""
    done = paying.pay(db, state, user, code_text=data.code, amount=data.amount,
                      method=data.payment_method, idempotency_key=idempotency_key)  # fmt: skip
    if not done.created:
        response.status_code = status.HTTP_200_OK
    sp = done.payment
    return PaidOut(
        receipt=receipt_out(state, db, done.receipt, user),
        payment=ShopPaymentOut(
            id=sp.id, status=sp.status, amount_minor=sp.amount_minor, currency=sp.currency,
            payee=done.merchant.name, merchant_id=sp.merchant_id,
            payment_method=sp.payment_method, reference=sp.attempt_id,
            created_at=sp.created_at, paid_at=sp.paid_at, created=done.created,
        ),
    )  # fmt: skip


def request_out(db: Session, r: ServiceRequest) -> ServiceRequestOut:
    user = db.get(User, r.user_id)
    return ServiceRequestOut(
        id=r.id, merchant_id=r.merchant_id, user=user.username if user else None,
        offer_id=r.offer_id, description=r.description, status=r.status,
        credential_id=r.credential_id, created_at=r.created_at, completed_at=r.completed_at,
    )  # fmt: skip


@router.post("/merchants/{merchant_id}/service-requests", status_code=status.HTTP_201_CREATED)
def staff_service_request(
    merchant_id: MerchantId, data: StaffServiceRequestIn, user: UserDep,
    principal: PrincipalDep, db: DbDep,
) -> ServiceRequestOut:  # fmt: skip
    """Record a service request for a user (owners, staff)."""
    merchant = _team_merchant(db, principal, merchant_id, EDITORS)
    target = resolve_holder(db, data.user).user
    if target is None:
        raise NotFound("no such user", code="user_not_found")
    req = vouchers.create(db, merchant, target, offer_id=data.offer_id,
                          description=data.description, actor=user)  # fmt: skip
    return request_out(db, req)


@router.get("/merchants/{merchant_id}/service-requests")
def merchant_service_requests(
    merchant_id: MerchantId, user: UserDep, principal: PrincipalDep, db: ReadDbDep,
    cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT,
) -> ListOut[ServiceRequestOut]:  # fmt: skip
    """The merchant's service requests, newest first (its team)."""
    _team_merchant(db, principal, merchant_id, READERS)
    found = vouchers.of_merchant(db, merchant_id, cursor=cursor, limit=limit)
    return ListOut(items=[request_out(db, r) for r in found.items], next_cursor=found.next_cursor)


@router.post("/service-requests", status_code=status.HTTP_201_CREATED)
def user_service_request(data: UserServiceRequestIn, user: UserDep, db: DbDep) -> ServiceRequestOut:
    """Ask a merchant for a service (the user)."""
    merchant = merchant_of(db, data.merchant_id)
    req = vouchers.create(db, merchant, user, offer_id=data.offer_id,
                          description=data.description, actor=user)  # fmt: skip
    return request_out(db, req)


@router.get("/me/service-requests")
def my_service_requests(
    user: UserDep, db: ReadDbDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> ListOut[ServiceRequestOut]:
    """The caller's service requests, newest first."""
    found = vouchers.of_user(db, user.id, cursor=cursor, limit=limit)
    return ListOut(items=[request_out(db, r) for r in found.items], next_cursor=found.next_cursor)


@router.post("/service-requests/{request_id}/complete")
def complete_service_request(
    request_id: ItemId, response: Response, user: UserDep, principal: PrincipalDep,
    db: DbDep, state: StateDep,
) -> ServiceRequestOut:  # fmt: skip
    """Mark it done (owners, staff): issues the voucher once (201); again, 200."""
    found = db.get(ServiceRequest, request_id)
    if found is None or not is_team(db, principal, found.merchant_id, READERS):
        raise NotFound("no such service request", code="service_request_not_found")
    _team_merchant(db, principal, found.merchant_id, EDITORS)
    done = vouchers.complete(db, state.keyring, request_id, actor=user)
    response.status_code = status.HTTP_201_CREATED if done.created else status.HTTP_200_OK
    return request_out(db, done.request)


@router.post("/credentials/{credential_id}/verification-links", status_code=status.HTTP_201_CREATED)
def send_verification_link(
    credential_id: CredentialId, data: VerificationLinkIn, user: UserDep, db: DbDep,
    state: StateDep,
) -> VerificationLinkOut:  # fmt: skip
    """Send a verifier of the issuer a 10-minute link showing this credential (holder)."""
    target, expires = links.send(db, state.keyring, user, credential_id.lower(), data.to)
    return VerificationLinkOut(to=target.username, expires_at=datetime.fromtimestamp(expires, UTC))

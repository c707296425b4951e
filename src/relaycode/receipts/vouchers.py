"""Service requests and their vouchers (Fig. 10): a user asks a merchant for a service
(or its staff record the request for them); once staff mark it completed the server
issues one ``service_voucher`` credential to the user, the code plus the user, as proof
that the service was done.

Completing is lock-then-check-then-do on the request's row: of concurrent completes
the first issues the voucher, the rest wait for the lock and answer that same one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.credentials import repository as cred_repo
from relaycode.credentials.direct import issue_to, template_for
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.db.pagination import Order, Page, paginate
from relaycode.errors import InvalidInput, NotFound
from relaycode.models import Credential, Merchant, Offer, ServiceRequest, User
from relaycode.notify.service import notify_merchant_staff, notify_user

MAX_DESCRIPTION = 2000
REQUEST_ORDER = Order("service_requests", (ServiceRequest.id,), (int,), descending=True)


@dataclass(frozen=True)
class Completed:
    request: ServiceRequest
    voucher: Credential
    created: bool  # False: completed before; the same voucher again


def create(
    db: Session,
    merchant: Merchant,
    user: User,
    *,
    offer_id: int | None,
    description: str,
    actor: User,
) -> ServiceRequest:
    offer = db.get(Offer, offer_id) if offer_id is not None else None
    if offer_id is not None and (offer is None or offer.merchant_id != merchant.id):
        raise NotFound("no such offer at this merchant", code="offer_not_found")
    text = description.strip()
    if offer is None and not text:
        raise InvalidInput("name an offer or describe the service", code="description_required")
    req = ServiceRequest(
        merchant_id=merchant.id, user_id=user.id, offer_id=offer_id, description=text,
        status="requested", requested_by_user_id=actor.id, created_at=utcnow(),
    )  # fmt: skip
    db.add(req)
    db.flush()
    if actor.id == user.id:
        notify_merchant_staff(db, merchant.id, "order_new",
                              {"offer_title": title_of(db, req), "url": None},
                              dedupe_key=f"service_request:{req.id}")  # fmt: skip
    return req


def of_merchant(
    db: Session, merchant_id: int, *, cursor: str | None, limit: int
) -> Page[ServiceRequest]:
    """A page of the merchant's service requests, newest first."""
    q = select(ServiceRequest).where(ServiceRequest.merchant_id == merchant_id)
    return paginate(db, q, REQUEST_ORDER, cursor=cursor, limit=limit)


def of_user(db: Session, user_id: int, *, cursor: str | None, limit: int) -> Page[ServiceRequest]:
    """A page of the user's service requests, newest first."""
    q = select(ServiceRequest).where(ServiceRequest.user_id == user_id)
    return paginate(db, q, REQUEST_ORDER, cursor=cursor, limit=limit)


def title_of(db: Session, req: ServiceRequest) -> str:
    """What was asked for: the offer's title, else the description."""
    offer = db.get(Offer, req.offer_id) if req.offer_id is not None else None
    return (offer.title if offer is not None else req.description)[:200]


def complete(db: Session, keyring: Keyring, request_id: int, *, actor: User) -> Completed:
    req = get_for_update(db, ServiceRequest, request_id)
    if req is None:
        raise NotFound("no such service request", code="service_request_not_found")
    if req.credential_id is not None:
        found = cred_repo.credential_by_id(db, req.credential_id)
        assert found is not None
        return Completed(req, found, created=False)
    user = db.get(User, req.user_id)
    assert user is not None
    now = utcnow()
    title = title_of(db, req)
    voucher = issue_to(
        db, keyring, template_for(db, req.merchant_id, "service_voucher"), user,
        {"service": title, "request": f"#{req.id}",
         "completed_at": now.isoformat(timespec="seconds")},
        actor=actor,
    )  # fmt: skip
    req.status, req.completed_at, req.completed_by_user_id = "completed", now, actor.id
    req.credential_id = voucher.id
    db.flush()
    notify_user(db, user.id, "voucher_issued", {"offer_title": title, "url": "/me/credentials"},
                dedupe_key=f"voucher_issued:{req.id}")  # fmt: skip
    return Completed(req, voucher, created=True)

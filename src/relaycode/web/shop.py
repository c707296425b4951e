"""A merchant's public shop (its offers on sale), and "my codes": the shares a signed-in
user made, with their scan counts and the review editor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from relaycode.catalog.service import image_url
from relaycode.codes.answers import code_text
from relaycode.codes.tokens import code_path
from relaycode.db.base import utcnow
from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import NotFound
from relaycode.identity.auth import Principal, PrincipalDep
from relaycode.merchants import repository as merchant_repo
from relaycode.models import Code, Offer, ShareReview
from relaycode.referrals import repository as repo
from relaycode.referrals import service
from relaycode.referrals.present import qr_path, token_of
from relaycode.referrals.schemas import ReviewIn
from relaycode.state import AppState
from relaycode.web.paging import CODES_PER_PAGE, PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, safe_next, text
from relaycode.web.shares import offline_pid, public_base

router = APIRouter()
CodeId = Annotated[str, Path(pattern=r"^[0-9a-fA-F]{32}$")]
Slug = Annotated[str, Path(max_length=64)]


@router.get("/shop/{slug}")
def shop(request: Request, slug: Slug, db: ReadDbDep, principal: PrincipalDep) -> Response:
    """The merchant's offers on sale now, newest first, a page at a time."""
    merchant = merchant_repo.merchant_by_slug(db, slug.lower())
    if merchant is None:
        raise NotFound("no such merchant", code="merchant_not_found")
    found = repo.active_offers_page(
        db, merchant.id, utcnow(), cursor=cursor_of(request), limit=PAGE_SIZE
    )
    state: AppState = request.app.state.rc
    context = {
        "user": principal.user,
        "merchant": merchant,
        "offers": [(o, image_url(o)) for o in found.items],
        "offers_pager": pager(request, found, anchor="offers-h"),
        "shop_url": f"{public_base(state.settings)}/shop/{merchant.slug}",
    }
    return page(request, "shop.html", context)


@dataclass(frozen=True)
class MyShare:
    code: Code
    offer: Offer | None
    review: ShareReview | None
    text: str | None
    token: str | None
    qr: str | None
    scans: int
    path: str | None = None  # "/C/<token>", or "/S/<token>" for one made on a phone


def _my_codes(
    request: Request,
    db: Session,
    state: AppState,
    principal: Principal,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = principal.signed_in_user()
    found = repo.shares_page(db, user.id, cursor=cursor_of(request), limit=CODES_PER_PAGE)
    counts = repo.scan_counts(db, (c.id for c, _o, _r in found.items))
    shares = []
    for code, offer, review in found.items:
        text_ = code_text(state.settings, state.keyring, code)
        shares.append(
            MyShare(
                code=code,
                offer=offer,
                review=review,
                text=text_,
                token=token_of(text_) if text_ else None,
                qr=qr_path(text_) if text_ else None,
                scans=counts.get(code.id, 0),
                path=code_path(text_) if text_ else None,
            )
        )
    context = {
        "user": user,
        "shares": shares,
        "shares_pager": pager(request, found, anchor="shares-h"),
        "errors": errors or {},
        "offline_pid": offline_pid(state, principal),
    }
    return page(request, "my_codes.html", context, status=status)


@router.get("/me/codes")
def my_codes(request: Request, db: ReadDbDep, state: StateDep, principal: SignedInDep) -> Response:
    return _my_codes(request, db, state, principal)


@router.post("/me/codes/{code_id}/review")
def save_review(
    request: Request,
    code_id: CodeId,
    form: FormDep,
    db: DbDep,
    state: StateDep,
    principal: SignedInDep,
) -> Response:
    """The review editor's form (on "my codes" and on one's own share page)."""
    user = principal.signed_in_user()
    back = safe_next(text(form, "next"), f"/me/codes#share-{code_id.lower()}")
    if text(form, "action") == "delete":
        service.delete_review(db, code_id=code_id, user=user)
        return redirect(request, back)
    try:
        data = ReviewIn(rating=text(form, "rating") or 0, text=_review_text(form))
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        key = "share.review_bad_rating" if "rating" in bad else "share.review_bad_text"
        service.own_share(db, code_id, user)  # someone else's code: 403, not a form error
        return _my_codes(request, db, state, principal, errors={code_id.lower(): key}, status=422)
    service.set_review(db, code_id=code_id, user=user, rating=data.rating, text=data.text)
    return redirect(request, back)


def _review_text(form: FormData) -> str:
    value = form.get("text")
    # Browsers send CRLF line breaks; store LF.
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""

"""What the offer and share pages add for sharing: the share button, who shared it (with
their review and other reviews), link-preview tags; and a code's public picture.

The pages themselves (a merchant's shop, "my codes") are in web/shop.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from relaycode.catalog.service import image_url
from relaycode.codes import render
from relaycode.codes.answers import code_text
from relaycode.codes.repository import CodeRow
from relaycode.codes.resolver import classify_text
from relaycode.codes.schemas import CodeOut, ScanOut
from relaycode.codes.share_tokens import device_pid
from relaycode.codes.tokens import code_path, code_url
from relaycode.config import Settings
from relaycode.db.base import utcnow
from relaycode.deps import StateDep
from relaycode.errors import NotFound
from relaycode.identity.auth import Principal
from relaycode.models import Merchant, Offer
from relaycode.referrals import repository as repo
from relaycode.referrals.present import browser_url, qr_path
from relaycode.referrals.schemas import ReviewOut
from relaycode.referrals.service import SHAREABLE_KINDS
from relaycode.state import AppState
from relaycode.web import i18n
from relaycode.web.render import static_url

router = APIRouter()
OTHER_REVIEWS = 5
_DESCRIPTION = 200  # characters of a link preview's description


@dataclass(frozen=True)
class ShareButton:
    """The share control: ``parent_text`` (the code a share is made from) for a signed-in
    reader; otherwise ``login_url``, which brings them back here to share."""

    parent_text: str | None
    login_url: str | None
    # The reader's device's pseudonymous id (hex) when this browser may make codes
    # offline (static/offline-share.js fetches its share key when it has none for it).
    device_pid: str | None = None


@dataclass(frozen=True)
class OtherReview:
    title: str
    rating: int
    text: str
    link: str | None


@dataclass(frozen=True)
class SharedBy:
    code_id: str
    name: str | None  # display name, else username; None: an account known by its device
    review: ReviewOut | None
    others: list[OtherReview]
    mine: bool  # the reader is the sharer: the page offers the review editor


@dataclass(frozen=True)
class Preview:
    """Open Graph and Twitter card tags: what a chat shows for a pasted link."""

    title: str
    description: str
    image: str
    url: str
    card: str


def public_base(settings: Settings) -> str:
    return f"{settings.public_scheme.lower()}://{settings.public_host.lower()}"


def sharer_name(username: str | None, display_name: str | None) -> str | None:
    return (display_name or "").strip() or username


def _here(request: Request, share: bool) -> str:
    """This page's address, to come back to after signing in (without counting a scan)."""
    path = request.url.path
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("seen", "share")]
    if path.upper().startswith(("/C/", "/S/")):
        query.append(("seen", "1"))
    if share:
        query.append(("share", "1"))
    return path + ("?" + urlencode(query) if query else "")


def share_button(
    request: Request,
    db: Session,
    state: AppState,
    offer: Offer,
    principal: Principal,
    code: CodeOut | None,
) -> ShareButton | None:
    """None when nothing can be shared here (the offer has no code that scans)."""
    if code is not None and code.kind in SHAREABLE_KINDS and code.text:
        parent_text: str | None = code.text
    else:
        root = repo.root_code(db, offer.id, utcnow())
        parent_text = code_text(state.settings, state.keyring, root) if root else None
    if parent_text is None:
        return None
    if principal.user is None:
        return ShareButton(None, "/login?next=" + quote(_here(request, True), safe="/"))
    return ShareButton(parent_text, None, offline_pid(state, principal))


def offline_pid(state: AppState, principal: Principal) -> str | None:
    """The pid the browser's share key must be for: a cookie session's own device."""
    device = principal.device
    if not principal.via_cookie or device is None or device.revoked_at is not None:
        return None
    _kid, master = state.keyring.active_hmac()
    return device_pid(master, device.id).hex()


def shared_by(
    db: Session,
    state: AppState,
    principal: Principal,
    result: ScanOut | None,
    row: CodeRow | None,
) -> SharedBy | None:
    """Who shared the code a share page shows, with their review and other reviews."""
    if result is None or row is None or row.kind != "share" or result.sharer is None:
        return None
    holder = row.holder_user_id
    if holder is None:
        return None
    others = []
    for review, code, offer in repo.other_reviews(
        db, holder, except_code=row.id, limit=OTHER_REVIEWS
    ):
        text = code_text(state.settings, state.keyring, code)
        link = code_path(text) if text else None
        others.append(OtherReview(offer.title, review.rating, review.text, link))
    mine = principal.user is not None and principal.user.id == holder
    name = sharer_name(result.sharer.username, result.sharer.display_name)
    return SharedBy(row.id, name, result.review, others, mine)


def preview(
    request: Request,
    state: AppState,
    offer: Offer,
    merchant: Merchant,
    *,
    code_text_: str | None,
    share_text: str | None,
    by: SharedBy | None,
) -> Preview:
    """``code_text_``: the code in the page's address (a code page); ``share_text``: the
    code the page would share from (its picture stands in for a missing offer image)."""
    settings = state.settings
    base = public_base(settings)
    t = i18n.Translator(i18n.pick_lang(request))
    url = browser_url(settings, code_text_) if code_text_ else f"{base}/offers/{offer.id}"
    picture = image_url(offer)
    pictured = code_text_ or share_text
    if picture:
        image, card = base + picture, "summary_large_image"
    elif pictured:
        image, card = base + qr_path(pictured, "png"), "summary"
    else:
        image, card = base + static_url("og-default.png"), "summary"
    if by is not None:
        who = by.name or t("share.someone")
        said = f" “{by.review.text}”" if by.review and by.review.text else ""
        description = t("share.preview_by", name=who) + said
    else:
        description = offer.description or merchant.name
    description = " ".join(description.split())
    if len(description) > _DESCRIPTION:
        description = description[: _DESCRIPTION - 1].rstrip() + "…"
    return Preview(offer.title, description, image, url, card)


def page_parts(
    request: Request,
    db: Session,
    state: AppState,
    offer: Offer,
    merchant: Merchant,
    principal: Principal,
    *,
    code: CodeOut | None,
    result: ScanOut | None = None,
    row: CodeRow | None = None,
) -> dict[str, Any]:
    """The share-related context of the offer template."""
    button = share_button(request, db, state, offer, principal, code)
    by = shared_by(db, state, principal, result, row)
    share_text = button.parent_text if button else None
    if button is not None and share_text is None:  # signed out: still a picture to show
        root = repo.root_code(db, offer.id, utcnow())
        share_text = code_text(state.settings, state.keyring, root) if root else None
    return {
        "share_button": button,
        "shared_by": by,
        "preview": preview(
            request,
            state,
            offer,
            merchant,
            code_text_=code.text if code else None,
            share_text=share_text,
            by=by,
        ),
    }


# ---- a code's picture, for anyone who has the code -----------------------------------

_MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


@lru_cache(maxsize=512)
def _picture(text: str, fmt: str) -> bytes:
    opts = render.RenderOptions(scale=10 if fmt == "png" else 8, border=4)
    return render.render_png(text, opts) if fmt == "png" else render.render_svg(text, opts)


def _qr(token: str, fmt: str, state: AppState, download: bool, path: str = "C") -> Response:
    settings = state.settings
    text = f"{settings.public_scheme}://{settings.public_host}/{path}/{token[:128]}"
    c = classify_text(text, settings, state.keyring)
    if c.verdict != "ours" or c.token is None or fmt not in _MEDIA:
        raise NotFound("no such code", code="code_not_found")
    # Drawn from the verified token alone: the picture of a code says nothing its text
    # does not, so whoever has the text may have it (link previews fetch it too).
    canonical = code_url(settings.public_scheme, settings.public_host, c.token.body, path)
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    if download:
        headers["Content-Disposition"] = (
            f'attachment; filename="relaycode-{c.token.body[:12]}.{fmt}"'
        )
    return Response(_picture(canonical, fmt), media_type=_MEDIA[fmt], headers=headers)


@router.get("/C/{token}/qr.{fmt}")
def code_picture(token: str, fmt: str, state: StateDep, download: bool = False) -> Response:
    """The code as a QR picture (PNG or SVG); ``download=1`` to save it."""
    return _qr(token, fmt, state, download)


@router.get("/c/{token}/qr.{fmt}")
def code_picture_lower(token: str, fmt: str, state: StateDep, download: bool = False) -> Response:
    return _qr(token, fmt, state, download)


@router.get("/S/{token}/qr.{fmt}")
def share_picture(token: str, fmt: str, state: StateDep, download: bool = False) -> Response:
    """A phone-made share's picture, drawn from its verified text (registered or not)."""
    return _qr(token, fmt, state, download, "S")


@router.get("/s/{token}/qr.{fmt}")
def share_picture_lower(token: str, fmt: str, state: StateDep, download: bool = False) -> Response:
    return _qr(token, fmt, state, download, "S")

"""A share as the API and the pages show it: its text, its link and its pictures."""

from __future__ import annotations

from relaycode.codes.answers import code_text
from relaycode.codes.keys import Keyring
from relaycode.codes.tokens import code_path
from relaycode.config import Settings
from relaycode.errors import NotFound
from relaycode.models import Code, ShareReview
from relaycode.referrals.schemas import MyShareOut, ReviewOut, ShareOut


def token_of(text: str) -> str:
    return text.rsplit("/", 1)[-1]


def browser_url(settings: Settings, text: str) -> str:
    """The same code as a link written the way browsers show one (lower-case host)."""
    base = f"{settings.public_scheme.lower()}://{settings.public_host.lower()}"
    return base + code_path(text)


def qr_path(text: str, fmt: str = "svg") -> str:
    """Where anyone holding the code may fetch its picture (web/shares.py)."""
    return f"{code_path(text)}/qr.{fmt}"


def review_out(review: ShareReview | None) -> ReviewOut | None:
    if review is None:
        return None
    return ReviewOut(rating=review.rating, text=review.text, updated_at=review.updated_at)


def share_out(
    settings: Settings,
    keyring: Keyring,
    code: Code,
    *,
    created: bool,
    review: ShareReview | None = None,
) -> ShareOut:
    text = code_text(settings, keyring, code)
    if text is None:
        raise NotFound("this code's key was retired", code="key_retired")
    return ShareOut(
        code=text,
        url=browser_url(settings, text),
        id=code.id,
        parent_id=code.parent_id,
        offer_id=code.offer_id,
        depth=code.depth,
        channel=code.channel,
        status=code.status,
        created_at=code.created_at,
        created=created,
        image_svg=qr_path(text, "svg"),
        image_png=qr_path(text, "png"),
        review=review_out(review),
    )


def my_share_out(
    settings: Settings,
    keyring: Keyring,
    code: Code,
    *,
    review: ShareReview | None,
    scans: int,
    offer_title: str | None,
) -> MyShareOut | None:
    """None once the share's key is retired (it no longer has a text)."""
    try:
        base = share_out(settings, keyring, code, created=False, review=review)
    except NotFound:
        return None
    return MyShareOut(**base.model_dump(), scans=scans, offer_title=offer_title)

"""Offers (service information): create, edit, pause, archive, images."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from relaycode.catalog import repository as repo
from relaycode.catalog.schemas import OfferCreate, OfferOut, OfferUpdate, PublicOfferOut
from relaycode.catalog.status import EffectiveStatus, effective_status
from relaycode.db.base import utcnow
from relaycode.db.locking import get_for_update
from relaycode.errors import AppError, Conflict, InvalidInput, NotFound, TooLarge
from relaycode.media import MediaStore, new_name
from relaycode.models import Merchant, Offer

if TYPE_CHECKING:
    from relaycode.codes.repository import OfferRow

_TRANSITIONS = {
    "pause": ({"active"}, "paused"),
    "activate": ({"paused"}, "active"),
    "archive": ({"active", "paused"}, "archived"),
}
_IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def get_offer(db: Session, offer_id: int) -> Offer:
    offer = repo.offer_by_id(db, offer_id)
    if offer is None:
        raise NotFound("no such offer", code="offer_not_found")
    return offer


def create_offer(db: Session, merchant: Merchant, data: OfferCreate) -> Offer:
    fields = data.model_dump(exclude_none=True)
    offer = Offer(merchant_id=merchant.id, **fields)
    db.add(offer)
    db.flush()
    return offer


def _lock(db: Session, offer: Offer) -> Offer:
    """The offer's row, locked and re-read: checks below see what no one else can change."""
    locked = get_for_update(db, Offer, offer.id)
    if locked is None:
        raise NotFound("no such offer", code="offer_not_found")
    return locked


def _check_version(offer: Offer, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != offer.version:
        raise Conflict("the offer changed since you loaded it", code="version_conflict")


def update_offer(
    db: Session, offer: Offer, data: OfferUpdate, *, expected_version: int | None
) -> Offer:
    offer = _lock(db, offer)
    # The precondition first: a caller with a stale view learns that before anything else.
    _check_version(offer, expected_version)
    if offer.status == "archived":
        raise Conflict("archived offers cannot be edited", code="offer_archived")
    for name, value in data.model_dump(exclude_unset=True).items():
        if name == "title" and value is None:
            continue
        setattr(offer, name, "" if name == "description" and value is None else value)
    if offer.valid_from and offer.valid_until and offer.valid_until <= offer.valid_from:
        raise InvalidInput("valid_until must be after valid_from", code="invalid_window")
    offer.version += 1
    offer.updated_at = utcnow()
    return offer


def change_status(
    db: Session, offer: Offer, action: str, *, expected_version: int | None = None
) -> Offer:
    if action not in _TRANSITIONS:
        raise NotFound("unknown action", code="unknown_action")
    offer = _lock(db, offer)
    _check_version(offer, expected_version)
    allowed, target = _TRANSITIONS[action]
    if offer.status == target:
        return offer  # idempotent: pausing a paused offer is fine
    if offer.status not in allowed:
        raise Conflict(f"cannot {action} an offer that is {offer.status}", code="bad_transition")
    offer.status = target
    offer.version += 1
    offer.updated_at = utcnow()
    return offer


def encode_image(data: bytes, max_bytes: int) -> bytes:
    """Validate an uploaded picture and re-encode it as JPEG (no EXIF), or refuse it.

    CPU-bound (Pillow decodes the whole picture): async callers run it in a worker thread.
    """
    if len(data) > max_bytes:
        raise TooLarge("image is too large", code="image_too_large")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            if fmt not in _IMAGE_FORMATS:
                raise InvalidInput("use PNG, JPEG or WebP", code="bad_image")
            if img.width * img.height > 25_000_000:
                raise TooLarge("image has too many pixels", code="image_too_many_pixels")
            img.thumbnail((1600, 1600))
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=85)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InvalidInput("not a readable image", code="bad_image") from exc
    return out.getvalue()


def _put_image(media: MediaStore, offer: Offer, jpeg: bytes) -> None:
    name = new_name(f"offer-{offer.id}", "jpg")
    media.put(name, jpeg)
    offer.image_path = name
    offer.updated_at = utcnow()


def store_image(media: MediaStore, offer: Offer, data: bytes, max_bytes: int) -> None:
    """The picture sent with the offer form, as part of that form's edit (the caller has
    already created or locked and version-bumped the offer in this transaction)."""
    _put_image(media, offer, encode_image(data, max_bytes))


def replace_image(
    db: Session, media: MediaStore, offer: Offer, jpeg: bytes, *, expected_version: int | None
) -> Offer:
    """Give the offer a new picture (already ``encode_image``d): an edit like any other,
    so it locks, checks the version and the status, then bumps the version."""
    offer = _lock(db, offer)
    _check_version(offer, expected_version)
    if offer.status == "archived":
        raise Conflict("archived offers cannot be edited", code="offer_archived")
    _put_image(media, offer, jpeg)
    offer.version += 1
    return offer


def image_url(offer: Offer | OfferRow) -> str | None:
    return f"/media/{offer.image_path}" if offer.image_path else None


def to_out(offer: Offer) -> OfferOut:
    out = OfferOut.model_validate(offer)
    out.image_url = image_url(offer)
    out.effective_status = effective_status(offer, utcnow())
    return out


def to_public(
    offer: Offer | OfferRow, merchant_name: str, *, status: EffectiveStatus | None = None
) -> PublicOfferOut:
    """``status``: the effective status when the caller has just computed it."""
    return PublicOfferOut(
        id=offer.id,
        merchant=merchant_name,
        title=offer.title,
        description=offer.description,
        image_url=image_url(offer),
        price_minor=offer.price_minor,
        currency=offer.currency,
        category=offer.category,
        region=offer.region,
        payment_methods=list(offer.payment_methods or []),
        web_link=offer.web_link,
        status=offer.status,
        effective_status=status or effective_status(offer, utcnow()),
        valid_from=offer.valid_from,
        valid_until=offer.valid_until,
    )


def check_servable(offer: Offer) -> EffectiveStatus:
    """The offer's effective status, unless it may not be served to a scanner (410)."""
    status = effective_status(offer, utcnow())
    if status == "archived":
        raise AppError("this offer was withdrawn", code="revoked", status=410)
    if status == "expired":
        raise AppError("this offer has expired", code="expired", status=410)
    return status

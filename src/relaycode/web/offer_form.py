"""Creating and editing an offer from the HTML form (price as a decimal, local times)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from relaycode.catalog.schemas import OfferCreate, OfferUpdate, PaymentMethod
from relaycode.catalog.service import create_offer, store_image, update_offer
from relaycode.deps import DbDep, StateDep
from relaycode.errors import AppError
from relaycode.models import Merchant, Offer
from relaycode.money import MoneyError, to_minor
from relaycode.state import AppState
from relaycode.web import i18n
from relaycode.web.dashboard import EditorPage, MerchantEditor, OfferEditor, OfferEditorPage
from relaycode.web.render import client_tz, page, price_input, redirect
from relaycode.web.session import FormDep, text, upload

router = APIRouter()
PAYMENT_METHODS: tuple[str, ...] = get_args(PaymentMethod)
CURRENCIES = ("CNY", "USD", "EUR", "JPY", "KRW", "HKD", "TWD", "GBP", "SGD", "AUD", "CAD", "INR")
_TEXT = (
    "title",
    "description",
    "sku",
    "gtin",
    "category",
    "region",
    "sales_channel",
    "payee_account",
    "web_link",
)
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _local_input(value: datetime | None, tz: timezone) -> str:
    return value.astimezone(tz).strftime(_LOCAL_FORMAT) if value else ""


def form_locale(request: Request) -> str:
    """The locale prices are typed in: the one they are shown in (render.page)."""
    return i18n.number_locale(request, i18n.pick_lang(request))


def offer_values(offer: Offer, tz: timezone, locale: str) -> dict[str, Any]:
    """An existing offer as the strings its edit form shows."""
    values: dict[str, Any] = {name: getattr(offer, name) or "" for name in _TEXT}
    values.update(
        price=price_input(offer.price_minor, offer.currency, locale),
        currency=offer.currency,
        payment_methods=list(offer.payment_methods or []),
        valid_from=_local_input(offer.valid_from, tz),
        valid_until=_local_input(offer.valid_until, tz),
        version=str(offer.version),
    )
    return values


# An error message key, or a key with its values: ("price.ambiguous", (("ways", ...),)).
Message = str | tuple[str, tuple[tuple[str, str], ...]]


def _price_error(err: MoneyError) -> Message:
    if err.reason == "ambiguous" and err.suggestions:
        return ("price.ambiguous", (("ways", " / ".join(err.suggestions)),))
    return f"price.{err.reason}"


def read_form(
    form: FormData, tz: timezone, locale: str
) -> tuple[dict[str, Any], dict[str, Any], list[Message]]:
    """(values to show back, payload for the schema, error messages)."""
    values: dict[str, Any] = {name: text(form, name) for name in _TEXT}
    currency = text(form, "currency").upper() or "CNY"
    methods = [m for m in form.getlist("payment_methods") if m in PAYMENT_METHODS]
    values.update(
        price=text(form, "price"),
        currency=currency,
        payment_methods=methods,
        valid_from=text(form, "valid_from"),
        valid_until=text(form, "valid_until"),
        version=text(form, "version"),
    )
    payload: dict[str, Any] = {name: values[name] or None for name in _TEXT}
    payload.update(currency=currency, payment_methods=methods, price_minor=0)
    # An edit would silently keep the old title otherwise (OfferUpdate skips a None title).
    errors: list[Message] = [] if values["title"] else ["offer.invalid_title"]
    if values["price"]:
        try:
            payload["price_minor"] = to_minor(values["price"], currency, locale)
        except MoneyError as err:
            errors.append(_price_error(err))
    for name in ("valid_from", "valid_until"):
        payload[name] = None
        if values[name]:
            try:
                payload[name] = datetime.fromisoformat(values[name]).replace(tzinfo=tz)
            except ValueError:
                errors.append(f"offer.invalid_{name}")
    return values, payload, errors


def schema_errors(exc: ValidationError) -> list[Message]:
    """Message keys per field; a problem with no field is the validity window."""
    return [
        f"offer.invalid_{p['loc'][0]}" if p.get("loc") else "offer.invalid_window"
        for p in exc.errors()
    ]


def _save_image(db: Session, state: AppState, offer: Offer, form: FormData) -> None:
    picture = upload(form, "image")
    if picture is None:
        return
    limit = state.settings.max_upload_bytes
    data = picture.file.read(limit + 1)
    store_image(state.media, offer, data, limit)
    db.flush()


def _form_page(
    request: Request,
    merchant: Merchant,
    offer: Offer | None,
    values: dict[str, Any],
    errors: list[Message],
    *,
    status: int = 200,
) -> Response:
    errors = list(dict.fromkeys(errors))  # each message once
    context = {
        "merchant": merchant,
        "offer": offer,
        "editing": offer is not None,
        "values": values,
        "errors": errors,
        "methods": PAYMENT_METHODS,
        "currencies": CURRENCIES,
        "tz_label": client_tz(request).tzname(None),
        "price_example": price_input(1250, values.get("currency") or "CNY", form_locale(request)),
    }
    return page(request, "offer_form.html", context, status=status)


@router.get("/dashboard/m/{slug}/offers/new")
def new_offer(request: Request, merchant: EditorPage) -> Response:
    values: dict[str, Any] = {name: "" for name in _TEXT}
    values.update(price="", currency="CNY", payment_methods=[], valid_from="", valid_until="")
    return _form_page(request, merchant, None, values, [])


@router.post("/dashboard/m/{slug}/offers/new")
def create(
    request: Request, form: FormDep, merchant: MerchantEditor, db: DbDep, state: StateDep
) -> Response:
    values, payload, errors = read_form(form, client_tz(request), form_locale(request))
    try:
        data = OfferCreate.model_validate(payload)
    except ValidationError as exc:
        errors += schema_errors(exc)
    if errors:
        return _form_page(request, merchant, None, values, errors, status=422)
    try:
        with db.begin_nested():  # a refused picture leaves no half-made offer behind
            offer = create_offer(db, merchant, data)
            _save_image(db, state, offer, form)
    except AppError as err:
        return _form_page(request, merchant, None, values, [f"offer.{err.code}"], status=err.status)
    return redirect(request, f"/dashboard/offers/{offer.id}")


@router.get("/dashboard/offers/{offer_id}/edit")
def edit_offer(request: Request, access: OfferEditorPage) -> Response:
    offer, merchant = access.offer, access.merchant
    values = offer_values(offer, client_tz(request), form_locale(request))
    return _form_page(request, merchant, offer, values, [])


@router.post("/dashboard/offers/{offer_id}/edit")
def update(
    request: Request, form: FormDep, access: OfferEditor, db: DbDep, state: StateDep
) -> Response:
    offer, merchant = access.offer, access.merchant
    values, payload, errors = read_form(form, client_tz(request), form_locale(request))
    try:
        data = OfferUpdate.model_validate(payload)
    except ValidationError as exc:
        errors += schema_errors(exc)
    version = values["version"]
    if errors:
        return _form_page(request, merchant, offer, values, errors, status=422)
    try:
        with db.begin_nested():
            expected = int(version) if version.isdigit() else None
            update_offer(db, offer, data, expected_version=expected)
            _save_image(db, state, offer, form)
    except AppError as err:
        db.refresh(offer)
        return _form_page(
            request, merchant, offer, values, [f"offer.{err.code}"], status=err.status
        )
    return redirect(request, f"/dashboard/offers/{offer.id}")

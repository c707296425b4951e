"""Commission rules pages, for owners (and operators): the merchant's default rules, an
offer's own, and the summary on the offer's admin page. Each shows a worked example
computed by referrals/commission_math.py; ``…/preview`` answers just that example for
the form's script (commission-rules.js), so it follows every keystroke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from relaycode.deps import DbDep, ReadDbDep, StateDep
from relaycode.errors import AppError
from relaycode.identity.auth import Principal
from relaycode.merchants.deps import OfferAccess, merchant_access, offer_access
from relaycode.merchants.service import OWNERS
from relaycode.models import Merchant
from relaycode.referrals import commission_rules as rules_service
from relaycode.referrals.commission_endpoints import WRITE_SCOPE
from relaycode.referrals.commission_math import CommissionRules
from relaycode.web import i18n
from relaycode.web.commission_example import example_lines
from relaycode.web.commission_form import Message, example_minor, read_rules_form, rules_values
from relaycode.web.offer_form import CURRENCIES
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, signed_in, text

router = APIRouter()


def _merchant(*, readonly: bool) -> Any:
    return Depends(merchant_access(OWNERS, WRITE_SCOPE, readonly=readonly, principal=signed_in))


def _offer(*, readonly: bool) -> Any:
    return Depends(offer_access(OWNERS, WRITE_SCOPE, readonly=readonly, principal=signed_in))


OwnerPage = Annotated[Merchant, _merchant(readonly=True)]
Owner = Annotated[Merchant, _merchant(readonly=False)]
OfferOwnerPage = Annotated[OfferAccess, _offer(readonly=True)]
OfferOwner = Annotated[OfferAccess, _offer(readonly=False)]


def _locale(request: Request) -> str:
    return i18n.number_locale(request, i18n.pick_lang(request))


def _labels(t: i18n.Translator, depth: int) -> dict[str, str]:
    names = (
        "cap",
        "min_order",
        "window_days",
        "hold_days",
        "max_depth",
        "platform_percent",
        "platform_fixed",
        "example",
        "levels",
        "bind_mode",
    )
    labels = {name: t(f"commission.field.{name}") for name in names}
    for n in range(1, depth + 1):
        labels[f"level_{n}_percent"] = t("commission.field.level_percent", n=n)
        labels[f"level_{n}_fixed"] = t("commission.field.level_fixed", n=n)
    return labels


def _example(
    request: Request, rules: CommissionRules, amount: int | None, errors: list[Message]
) -> dict[str, Any]:
    if errors:
        return {"errors": errors, "heading": "", "lines": []}
    t = i18n.Translator(i18n.pick_lang(request))
    amount = example_minor(rules.currency) if amount is None else amount
    heading, lines = example_lines(t, rules, amount, _locale(request))
    return {"errors": [], "heading": heading, "lines": lines}


def _form_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    values: dict[str, Any],
    rules: CommissionRules,
    example: int | None,
    errors: list[Message],
    status: int = 200,
) -> Response:
    context.update(
        values=values,
        errors=errors,
        currencies=CURRENCIES,
        operator_max_depth=rules.operator_max_depth,
        example=_example(request, rules, example, errors),
    )
    return page(request, template, context, status=status)


# ---- the merchant's default rules ---------------------------------------------------------


def _merchant_context(merchant: Merchant, principal: Principal, **extra: Any) -> dict[str, Any]:
    base = f"/dashboard/m/{merchant.slug}/commissions"
    return {
        "user": principal.user,
        "merchant": merchant,
        "offer": None,
        "action": base,
        "preview_url": base + "/preview",
        "overriding": False,
        **extra,
    }


@router.get("/dashboard/m/{slug}/commissions")
def merchant_rules(
    request: Request, merchant: OwnerPage, db: ReadDbDep, principal: SignedInDep, state: StateDep
) -> Response:
    depth = state.settings.commission_max_depth
    row = rules_service.merchant_row(db, merchant.id)
    rules = (
        rules_service.to_rules(row, operator_max_depth=depth)
        if row is not None
        else rules_service.default_rules("CNY", operator_max_depth=depth)
    )
    values = rules_values(rules, _locale(request), version=rules_service.version_of(row))
    context = _merchant_context(merchant, principal, saved=bool(request.query_params.get("saved")))
    return _form_page(
        request,
        "commission_rules.html",
        context,
        values=values,
        rules=rules,
        example=None,
        errors=[],
    )


@router.post("/dashboard/m/{slug}/commissions")
def save_merchant_rules(
    request: Request,
    form: FormDep,
    merchant: Owner,
    db: DbDep,
    principal: SignedInDep,
    state: StateDep,
) -> Response:
    depth = state.settings.commission_max_depth
    t = i18n.Translator(i18n.pick_lang(request))
    values, rules, example, errors = read_rules_form(
        form, _locale(request), depth, _labels(t, depth)
    )
    context = _merchant_context(merchant, principal, saved=False)
    if not errors and text(form, "intent") != "preview":
        version = values["version"]
        try:
            with db.begin_nested():
                rules_service.set_merchant_rules(
                    db,
                    merchant,
                    rules,
                    expected_version=int(version) if version.isdigit() else None,
                )
        except AppError as err:
            errors = [f"commission.error.{err.code}"]
            return _form_page(
                request,
                "commission_rules.html",
                context,
                values=values,
                rules=rules,
                example=example,
                errors=errors,
                status=err.status,
            )
        return redirect(request, f"/dashboard/m/{merchant.slug}/commissions?saved=1")
    return _form_page(
        request,
        "commission_rules.html",
        context,
        values=values,
        rules=rules,
        example=example,
        errors=errors,
        status=422 if errors else 200,
    )


def _preview(request: Request, depth: int) -> Response:
    """The example for the form's fields, sent as the query: a GET, since it writes
    nothing (and needs no CSRF token, which the script leaves out of the URL)."""
    t = i18n.Translator(i18n.pick_lang(request))
    items: list[tuple[str, str | UploadFile]] = list(request.query_params.multi_items()[:60])
    fields = FormData(items)
    _values, rules, example, errors = read_rules_form(
        fields, _locale(request), depth, _labels(t, depth)
    )
    context = {"example": _example(request, rules, example, errors)}
    return page(request, "_commission_example.html", context)


@router.get("/dashboard/m/{slug}/commissions/preview")
def preview_merchant_rules(request: Request, merchant: OwnerPage, state: StateDep) -> Response:
    """Only the worked example, for the form's script."""
    return _preview(request, state.settings.commission_max_depth)


# ---- an offer's own rules -----------------------------------------------------------------


def _offer_context(access: OfferAccess, principal: Principal, overriding: bool) -> dict[str, Any]:
    base = f"/dashboard/offers/{access.offer.id}/commissions"
    return {
        "user": principal.user,
        "merchant": access.merchant,
        "offer": access.offer,
        "action": base,
        "preview_url": base + "/preview",
        "overriding": overriding,
        "saved": False,
    }


@router.get("/dashboard/offers/{offer_id}/commissions")
def offer_rules(
    request: Request, access: OfferOwnerPage, db: ReadDbDep, principal: SignedInDep, state: StateDep
) -> Response:
    depth = state.settings.commission_max_depth
    offer = access.offer
    row = rules_service.offer_row(db, offer.id)
    # A new override starts from what is in force now.
    rules, source = rules_service.load_effective(db, offer, operator_max_depth=depth)
    example = offer.price_minor if offer.currency == rules.currency and offer.price_minor else None
    version = rules_service.version_of(row)
    values = rules_values(rules, _locale(request), version=version, example=example)
    context = _offer_context(access, principal, source == "offer")
    context["source"] = source
    return _form_page(
        request,
        "commission_offer.html",
        context,
        values=values,
        rules=rules,
        example=example,
        errors=[],
    )


@router.post("/dashboard/offers/{offer_id}/commissions")
def save_offer_rules(
    request: Request,
    form: FormDep,
    access: OfferOwner,
    db: DbDep,
    principal: SignedInDep,
    state: StateDep,
) -> Response:
    depth = state.settings.commission_max_depth
    t = i18n.Translator(i18n.pick_lang(request))
    offer = access.offer
    values, rules, example, errors = read_rules_form(
        form, _locale(request), depth, _labels(t, depth)
    )
    intent = text(form, "intent")
    row = rules_service.offer_row(db, offer.id)
    context = _offer_context(access, principal, row is not None and row.overriding)
    context["source"] = "offer" if context["overriding"] else "merchant"
    if intent == "reset" or (not errors and intent != "preview"):
        version = values["version"]
        expected = int(version) if version.isdigit() else None
        try:
            with db.begin_nested():
                if intent == "reset":
                    rules_service.clear_offer_rules(db, offer, expected_version=expected)
                else:
                    rules_service.set_offer_rules(db, offer, rules, expected_version=expected)
        except AppError as err:
            return _form_page(
                request,
                "commission_offer.html",
                context,
                values=values,
                rules=rules,
                example=example,
                errors=[f"commission.error.{err.code}"],
                status=err.status,
            )
        return redirect(request, f"/dashboard/offers/{offer.id}#commission-h")
    return _form_page(
        request,
        "commission_offer.html",
        context,
        values=values,
        rules=rules,
        example=example,
        errors=errors,
        status=422 if errors else 200,
    )


@router.get("/dashboard/offers/{offer_id}/commissions/preview")
def preview_offer_rules(request: Request, access: OfferOwnerPage, state: StateDep) -> Response:
    """Only the worked example, for the form's script."""
    return _preview(request, state.settings.commission_max_depth)

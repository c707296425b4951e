"""The buy form of offer and share pages: what it offers (quantity, the payment methods
that have a provider here, a delivery address for physical goods) and the code the order
goes through, so that a sale made on a share page is credited to its sharer.

The form posts to ``/checkout`` (web/checkout.py). Its idempotency key is made once per
render, so a double submit, or the browser resending the POST, makes one order.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from sqlalchemy.orm import Session

from relaycode.catalog.status import effective_status
from relaycode.codes import answers
from relaycode.db.base import utcnow
from relaycode.identity.auth import Principal
from relaycode.models import Merchant, Offer
from relaycode.money import MoneyError, exponent
from relaycode.orders.pricing import MAX_QUANTITY, is_physical
from relaycode.referrals import repository as referrals_repo
from relaycode.state import AppState

# (name, input type, autocomplete token, required): orders/pricing.py checks the same.
ADDRESS_FIELDS: tuple[tuple[str, str, str, bool], ...] = (
    ("name", "text", "shipping name", True),
    ("phone", "tel", "shipping tel", True),
    ("line1", "text", "shipping address-line1", True),
    ("line2", "text", "shipping address-line2", False),
    ("city", "text", "shipping address-level2", True),
    ("region", "text", "shipping address-level1", False),
    ("postcode", "text", "shipping postal-code", False),
    ("country", "text", "shipping country", True),
)
DEFAULT_COUNTRY = "CN"


@dataclass(frozen=True)
class BuyForm:
    on_sale: bool
    methods: list[str]  # the offer's methods that some provider takes for this merchant
    login_url: str | None  # signed out: sign in first, then back here
    code_text: str | None  # the code the order goes through
    idempotency_key: str
    back: str  # this page, to come back to (checkout's "back to the offer")
    physical: bool
    exponent: int
    via: str | None = None  # the sharer's name, on a share page
    values: dict[str, str] = field(default_factory=dict)
    errors: list[Any] = field(default_factory=list)
    max_quantity: int = MAX_QUANTITY
    address_fields: tuple[tuple[str, str, str, bool], ...] = ADDRESS_FIELDS


def new_key() -> str:
    return "web-" + secrets.token_urlsafe(18)


def here(request: Request) -> str:
    """This page's address to come back to, without counting another scan."""
    path = request.url.path
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("seen", "lang")]
    if path.upper().startswith("/C/"):
        query.append(("seen", "1"))
    return path + ("?" + urlencode(query) if query else "")


def methods_for(state: AppState, offer: Offer, merchant: Merchant) -> list[str]:
    """The offer's payment methods that a configured provider takes for this merchant,
    in the offer's order."""
    takes = set(state.payments.methods(merchant.slug))
    listed = [m for m in (offer.payment_methods or []) if isinstance(m, str)]
    return [m for m in dict.fromkeys(listed) if m in takes]


def page_code_text(db: Session, state: AppState, offer: Offer, shown: str | None) -> str | None:
    """The code in the page's address, else the offer's own code (its oldest that scans)."""
    if shown:
        return shown
    root = referrals_repo.root_code(db, offer.id, utcnow())
    return answers.code_text(state.settings, state.keyring, root) if root else None


def _exponent(currency: str) -> int:
    try:
        return exponent(currency)
    except MoneyError:
        return 2


def buy_form(
    request: Request,
    db: Session,
    state: AppState,
    offer: Offer,
    merchant: Merchant,
    principal: Principal,
    *,
    code_text: str | None,
    via: str | None = None,
    values: dict[str, str] | None = None,
    errors: list[Any] | None = None,
    idempotency_key: str | None = None,
    back: str | None = None,
) -> BuyForm | None:
    """The form's context; None when the page has nothing to buy through (no code)."""
    text = page_code_text(db, state, offer, code_text)
    if text is None:
        return None
    back = back or here(request)
    login_url = None
    if principal.user is None:
        login_url = "/login?next=" + quote(back + "#buy", safe="/")
    physical = is_physical(offer.sales_channel)
    shown = dict(values or {})
    if physical:
        shown.setdefault("address_country", DEFAULT_COUNTRY)
    return BuyForm(
        on_sale=effective_status(offer, utcnow()) == "active" and offer.price_minor > 0,
        methods=methods_for(state, offer, merchant),
        login_url=login_url,
        code_text=text,
        idempotency_key=idempotency_key or new_key(),
        back=back,
        physical=physical,
        exponent=_exponent(offer.currency),
        via=via,
        values=shown,
        errors=list(errors or []),
    )

"""The kinds of inbox notification, and how each reads in English and in Chinese.

An item stores facts (``data``), not sentences: it is rendered when read, in the
reader's language and number locale, so one item reads as "Payment of CN¥12.50
succeeded" on an English page and "已成功支付 ¥12.50" on a Chinese one. The strings are
``notify.kind.<kind>.title`` / ``.body`` in ``web/i18n/<lang>/notify.json``.

The fields a kind's text may use (all optional in ``data``):

``amount_minor`` + ``currency``  the amount (money.py: integer minor units)
``order_id``                     the order's id
``offer_title``                  what was bought
``reason``                       why (a payment that failed)
``level``                        which generation of referrer earned a commission
``message``                      free text (the test notification)
``url``                          a path of this site to open ("/orders/12"); anything
                                 that is not a local path is ignored
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from relaycode.money import MoneyError, format_minor
from relaycode.web import i18n

# Who gets which: the buyer (payment_*), each referrer (commission_*), the merchant's
# staff (order_new); "test" is the one a person sends themselves to try the inbox;
# "sms" is a text message the development SMS backend delivered (notify/sms.py).
INBOX_KINDS: tuple[str, ...] = (
    "payment_succeeded",
    "payment_failed",
    "commission_earned",
    "commission_reversed",
    "commission_available",
    "withdrawal_approved",
    "withdrawal_rejected",
    "order_new",
    "order_refunded",
    "credential_endorsed",
    "credential_received",
    "credential_used_earlier",  # an offline use before an endorsement came off the new one
    # receipts/ (docs/receipts.md): the payer's receipt, the shop's staff told of a
    # payment, a voucher for a service done, a verifier sent a verification link.
    "receipt_issued",
    "shop_payment_received",
    "voucher_issued",
    "verification_link",
    "test",
    "sms",
)
_LOCAL_PATH = re.compile(r"^/(?![/\\])[\x21-\x7e]{0,500}$")


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    url: str | None


def local_url(value: Any) -> str | None:
    """``value`` when it is a path of this site (never ``//evil.example``), else None."""
    return value if isinstance(value, str) and _LOCAL_PATH.match(value) else None


def _amount(data: dict[str, Any], locale: str) -> str:
    minor, currency = data.get("amount_minor"), data.get("currency")
    if not isinstance(minor, int) or isinstance(minor, bool) or not isinstance(currency, str):
        return ""
    try:
        return format_minor(minor, currency, locale)
    except MoneyError:
        return f"{minor} {currency}"


def _text(data: dict[str, Any], name: str, limit: int = 200) -> str:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)[:limit]


def render(kind: str, data: dict[str, Any], lang: str, locale: str | None = None) -> Rendered:
    """The item's title, body and link in ``lang`` (numbers in ``locale``)."""
    t = i18n.Translator(lang)
    locale = locale or i18n.BABEL_LOCALES.get(lang, "en")
    values = {
        "amount": _amount(data, locale),
        "order": _text(data, "order_id", 40),
        "offer": _text(data, "offer_title") or t("notify.an_offer"),
        "reason": _text(data, "reason") or t("notify.no_reason"),
        "level": _text(data, "level", 4) or "1",
        "message": _text(data, "message", 500),
    }
    key = f"notify.kind.{kind}" if kind in INBOX_KINDS else "notify.kind.other"
    return Rendered(
        title=t(f"{key}.title", **values),
        body=t(f"{key}.body", **values),
        url=local_url(data.get("url")),
    )

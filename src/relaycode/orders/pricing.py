"""The pure parts of an order: its amount, the canonical request hash, the address.

No I/O here. Amounts are integer minor units (money.py); an order's total is the offer's
unit price times the quantity and never leaves ``1 ≤ total ≤ ledger.MAX_AMOUNT``.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from relaycode.errors import InvalidInput
from relaycode.money import MAX_MINOR
from relaycode.safetext import check_line

MAX_QUANTITY = 99
MAX_KEY = 200
# An offer says it is physical goods (shipped to the buyer, so an order needs a delivery
# address) by its sales channel: docs/orders.md.
PHYSICAL_CHANNELS = frozenset({"delivery", "shipping"})
_ADDRESS_FIELDS: dict[str, tuple[bool, int]] = {  # name -> (required, max length)
    "name": (True, 100),
    "phone": (True, 32),
    "line1": (True, 200),
    "line2": (False, 200),
    "city": (True, 100),
    "region": (False, 100),
    "postcode": (False, 20),
    "country": (True, 2),
}
_PHONE = re.compile(r"^[0-9+() .-]{3,32}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def check_quantity(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidInput("the quantity is a whole number", code="bad_quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"the quantity is 1 to {MAX_QUANTITY}", code="bad_quantity")
    return quantity


def check_key(key: object) -> str:
    """An idempotency key: 1-200 printable ASCII characters without spaces."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidInput(
            "an Idempotency-Key is 1 to 200 printable ASCII characters",
            code="bad_idempotency_key",
        )
    return key


def order_amount(unit_price_minor: int, quantity: int) -> int:
    """The total; ``not_for_sale`` (422) for an offer without a price."""
    if unit_price_minor <= 0:
        raise InvalidInput("this offer has no price; it cannot be ordered", code="not_for_sale")
    if unit_price_minor > MAX_MINOR:
        raise InvalidInput("this offer's price is beyond what can be paid", code="not_for_sale")
    return unit_price_minor * check_quantity(quantity)


def is_physical(sales_channel: str | None) -> bool:
    return (sales_channel or "").strip().lower() in PHYSICAL_CHANNELS


def clean_address(raw: object) -> dict[str, str] | None:
    """The address with its known fields stripped and checked; ``bad_address`` (422)
    naming the field otherwise. ``None`` stays ``None``."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput("the delivery address is an object", code="bad_address")
    unknown = sorted(str(k)[:40] for k in raw if k not in _ADDRESS_FIELDS)
    if unknown:
        raise InvalidInput(
            "unknown address fields", code="bad_address", details={"fields": unknown[:10]}
        )
    out: dict[str, str] = {}
    for name, (required, limit) in _ADDRESS_FIELDS.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise InvalidInput(
                    f"the address needs its {name}", code="bad_address", details={"field": name}
                )
            continue
        if not isinstance(value, str) or len(value.strip()) > limit:
            raise InvalidInput(f"bad address {name}", code="bad_address", details={"field": name})
        try:
            value = check_line(value.strip())
        except ValueError:
            raise InvalidInput(
                f"bad address {name}", code="bad_address", details={"field": name}
            ) from None
        out[name] = value
    if not _PHONE.match(out["phone"]):
        raise InvalidInput("bad phone number", code="bad_address", details={"field": "phone"})
    if not _COUNTRY.match(out["country"]):
        raise InvalidInput(
            "the country is two letters (ISO 3166)",
            code="bad_address",
            details={"field": "country"},
        )
    out["country"] = out["country"].upper()
    return out


def request_hash(
    code_text: str, quantity: int, payment_method: str, address: dict[str, str] | None
) -> str:
    """sha256 of the canonical body: the same key with another body is a 422. The code
    text is compared as typed but for surrounding space (a retry sends the same text)."""
    body: dict[str, Any] = {
        "code": code_text.strip(),
        "quantity": quantity,
        "payment_method": payment_method,
        "delivery_address": address,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

"""Until h/commissions is merged: the commission calls, or no-ops (removed at merge)."""

from __future__ import annotations

from typing import Any

try:
    from relaycode.referrals.commissions import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
        record_for_order,
        reverse_for_refund,
    )
except ImportError:  # pragma: no cover

    def record_for_order(db: Any, order: Any, **_kw: Any) -> list[Any]:  # type: ignore[misc,unused-ignore]
        return []

    def reverse_for_refund(db: Any, order: Any, **_kw: Any) -> list[Any]:  # type: ignore[misc,unused-ignore]
        return []


__all__ = ["record_for_order", "reverse_for_refund"]

"""A dict that lives as long as the session's current transaction (``tx_cache``).

For lookups a transaction repeats many times (a checkout asks for the same ledger
account or webhook endpoints five times): cached by the first, dropped when the
transaction ends, so a later transaction never sees what this one cached. What is
cached must be cheap to re-check on use (ids re-read from the identity map, not values
trusted blindly): a SAVEPOINT rolled back inside the transaction can undo a row whose
id is still cached.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

_KEY = "rc_tx_cache"


def tx_cache(db: Session, name: str) -> dict[Any, Any]:
    """The ``name`` cache of ``db``'s current transaction (a throwaway dict outside one)."""
    tx = db.get_transaction()
    if tx is None:
        return {}
    caches: dict[str, tuple[object, dict[Any, Any]]] = db.info.setdefault(_KEY, {})
    held = caches.get(name)
    if held is None or held[0] is not tx:
        held = caches[name] = (tx, {})
    return held[1]

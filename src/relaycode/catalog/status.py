"""One notion of an offer's status now, for the API, the pages and the scanner alike.

``Offer.status`` is what the merchant set (active, paused, archived: the state the status
actions change). What a scanner meets also depends on the clock: past ``valid_until`` the
offer has ended, before ``valid_from`` it has not started. ``effective_status`` combines
the two; every reader that says whether an offer is live asks it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

EffectiveStatus = Literal["active", "paused", "archived", "expired", "scheduled"]


class _Dated(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def valid_from(self) -> datetime | None: ...
    @property
    def valid_until(self) -> datetime | None: ...


def effective_status(offer: _Dated, now: datetime) -> EffectiveStatus:
    """Archived and ended win over a pause (they are final); a pause over "not yet"."""
    if offer.status == "archived":
        return "archived"
    if offer.valid_until is not None and offer.valid_until <= now:
        return "expired"
    if offer.status == "paused":
        return "paused"
    if offer.valid_from is not None and now < offer.valid_from:
        return "scheduled"
    return "active"

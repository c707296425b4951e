"""What other domains call, in their own transaction (services never commit):

- ``notify_user(db, user_id, kind, data, *, dedupe_key=None) -> InboxItem``
- ``notify_merchant_staff(db, merchant_id, kind, data, *, dedupe_key=None) -> list[InboxItem]``
- ``emit(db, *, merchant_id, event_type, data, event_id=None) -> list[int]``

Inbox kinds are listed in notify/kinds.py, webhook event types in notify/events.py;
docs/webhooks.md describes the messages merchants receive.
"""

from __future__ import annotations

from relaycode.notify.events import EVENT_TYPES
from relaycode.notify.inbox import mark_read, notify_merchant_staff, notify_user
from relaycode.notify.kinds import INBOX_KINDS, render
from relaycode.notify.webhooks import emit

__all__ = [
    "EVENT_TYPES",
    "INBOX_KINDS",
    "emit",
    "mark_read",
    "notify_merchant_staff",
    "notify_user",
    "render",
]

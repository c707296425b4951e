"""Text messages (SMS), behind one small protocol chosen by ``RELAYCODE_SMS_BACKEND``.

- ``file`` (the default): no gateway. Each message is a JSON file under
  ``<data dir>/sms/`` (0600, in a 0700 directory: ``time``, ``to``, ``text``, ``id``),
  and, when the number is an account's, an ``sms`` item in that account's inbox, so a
  development instance, a demo and the tests can read what "the phone" got.
- ``package.module:Class``: an operator's own gateway. ``Class.from_settings(settings)``
  builds it once at startup; ``send(to_e164, text)`` returns the gateway's message id
  or raises. A backend that also has ``bind(database)`` is given the app's database.

Callers send after their transaction commits (``db/aftercommit.py``), never inside it:
a request that is rolled back sends nothing. A failed send is logged without the number
or the text (both personal data; the text may hold a code).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from sqlalchemy import select

from relaycode import backends
from relaycode.config import Settings
from relaycode.db.session import Database
from relaycode.models import PhoneCode, User

log = logging.getLogger(__name__)

BUILTIN = {"file": "relaycode.notify.sms:FileSms"}


@runtime_checkable
class SmsBackend(Protocol):
    def send(self, to_e164: str, text: str) -> str:
        """Send ``text`` to the number; the gateway's message id (raises on failure)."""
        ...


class FileSms:
    """Messages as files (and inbox items): for development, demos and tests."""

    def __init__(self, directory: Path, database: Database | None = None) -> None:
        self.directory = directory
        self.database = database

    @classmethod
    def from_settings(cls, settings: Settings) -> FileSms:
        return cls(settings.data_dir / "sms")

    def bind(self, database: Database) -> None:
        self.database = database

    def send(self, to_e164: str, text: str) -> str:
        now = datetime.now(UTC)
        message_id = f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        body = {"id": message_id, "time": now.isoformat(), "to": to_e164, "text": text}
        path = self.directory / f"{message_id}.json"
        # Created 0600 in one step: never readable by others, not even for an instant.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(body, out, ensure_ascii=False)
        if self.database is not None:
            self._to_inbox(self.database, to_e164, text, message_id)
        return message_id

    @staticmethod
    def _to_inbox(database: Database, to_e164: str, text: str, message_id: str) -> None:
        """The phone's inbox: its verified holder's, else the accounts waiting for a code
        at that number (on a development instance, they are the ones holding it)."""
        from relaycode.identity.phone import find_user_by_verified_phone
        from relaycode.notify.inbox import notify_user

        with database.transaction() as db:
            holder = find_user_by_verified_phone(db, to_e164)
            if holder is not None:
                users = [holder.id]
            else:
                waiting = select(PhoneCode.user_id).where(PhoneCode.phone == to_e164)
                users = sorted(set(db.scalars(waiting)))
            for user_id in users:
                if db.get(User, user_id) is not None:
                    notify_user(db, user_id, "sms", {"message": text}, dedupe_key=message_id)


def send_quietly(backend: SmsBackend, to_e164: str, text: str) -> str | None:
    """Send, logging a failure without the number or the text; the id or None."""
    try:
        return backend.send(to_e164, text)
    except Exception as exc:  # a gateway's failure must not break the request's commit
        log.warning("SMS send failed: %s", type(exc).__name__)
        return None


def sms_from_settings(settings: Settings) -> SmsBackend:
    backend = backends.load("sms", settings.sms_backend, BUILTIN, settings)
    if not isinstance(backend, SmsBackend):
        raise backends.wrong_type("sms", settings.sms_backend, SmsBackend)
    return backend


def bind_database(backend: SmsBackend, database: Database) -> None:
    bind = getattr(backend, "bind", None)
    if callable(bind):
        bind(database)

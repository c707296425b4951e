"""Process-wide objects shared by requests: settings, database, keyring."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from relaycode.codes.answer_cache import AnswerCache
from relaycode.codes.keys import Keyring
from relaycode.codes.repository import any_code_issued
from relaycode.codes.resolver import Resolver
from relaycode.codes.scanlog import ScanRecorder
from relaycode.config import Settings
from relaycode.db.engine import make_engine
from relaycode.db.raw import PgAsyncReader
from relaycode.db.session import Database
from relaycode.identity.activity import ActivityRecorder
from relaycode.identity.cookies import secure_cookies
from relaycode.identity.passwords import Passwords
from relaycode.identity.ratelimit import store_from_settings
from relaycode.identity.throttle import SignInThrottle
from relaycode.media import MediaStore
from relaycode.media import store_from_settings as media_store
from relaycode.notify.sms import SmsBackend, bind_database, sms_from_settings
from relaycode.payments.registry import PaymentProviders
from relaycode.referrals.offline import registrar


@dataclass
class AppState:
    settings: Settings
    db: Database
    keyring: Keyring
    passwords: Passwords
    scans: ScanRecorder
    resolver: Resolver
    # Devices' last_seen_at and API keys' last_used_at, written in batches.
    activity: ActivityRecorder
    throttle: SignInThrottle
    media: MediaStore
    # Payment providers by method and merchant (payments/registry.py).
    payments: PaymentProviders
    # Text messages: one-time codes for phone numbers (notify/sms.py, docs/phone.md).
    sms: SmsBackend
    # PostgreSQL only: the scan hot path reads through asyncio (see codes/lookup.py).
    async_reader: PgAsyncReader | None = None

    @cached_property
    def secure_cookies(self) -> bool:
        return secure_cookies(self.settings)

    @staticmethod
    def backends(settings: Settings) -> tuple[SignInThrottle, MediaStore, SmsBackend]:
        """The configured backends; a wrong setting raises ``ValueError`` (one line)."""
        throttle = SignInThrottle.from_settings(store_from_settings(settings), settings)
        return throttle, media_store(settings), sms_from_settings(settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> AppState:
        # Backends first: a wrong setting stops here, before anything is opened.
        throttle, media, sms = cls.backends(settings)
        settings.ensure_data_dir()
        payments = PaymentProviders.from_settings(settings)  # may make its webhook secret
        url = settings.resolved_database_url
        db = Database(make_engine(url))
        keyring = open_keyring(settings, db)
        async_reader = None
        if not db.is_sqlite:
            conninfo = db.engine.url.set(drivername="postgresql").render_as_string(False)
            async_reader = PgAsyncReader(conninfo, db.compiled)
        bind_database(sms, db)  # the file backend writes the recipient's inbox
        cache = AnswerCache(settings.scan_cache_ttl)
        cache.watch(db.sessionmaker)  # every committed write drops what it made stale
        return cls(
            async_reader=async_reader,
            resolver=Resolver(settings, keyring, db, cache, async_reader, registrar(db)),
            settings=settings,
            db=db,
            keyring=keyring,
            scans=ScanRecorder(db),
            activity=ActivityRecorder(db, interval=settings.activity_flush_seconds),
            passwords=Passwords(settings.argon2_memory_kib, settings.argon2_time_cost),
            throttle=throttle,
            media=media,
            payments=payments,
            sms=sms,
        )


def open_keyring(settings: Settings, db: Database) -> Keyring:
    """The keyring; made anew only on a fresh instance (``KeyringMissing`` otherwise)."""

    def may_create() -> bool:
        with db.engine.connect() as conn:
            return not any_code_issued(conn)

    return Keyring.for_data_dir(settings.data_dir, may_create=may_create)

"""Our cookie names and flags: ``Secure`` and the ``__Host-`` prefix once the site is HTTPS.

A ``__Host-`` cookie is only accepted by browsers when it is Secure, has ``Path=/`` and no
``Domain``: no other host (a sibling subdomain, a plain-HTTP man in the middle) can plant
or overwrite our session or CSRF cookie. ``RELAYCODE_COOKIE_SECURE`` overrides the choice
made from ``RELAYCODE_PUBLIC_URL`` (e.g. HTTPS terminated by a proxy in front of an
``http://`` public URL in a test setup).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from relaycode.config import Settings

SESSION_COOKIE = "rc_session"
CSRF_COOKIE = "rc_csrf"
DEVICE_COOKIE = "rc_device"
HOST_PREFIX = "__Host-"
# The cookies that carry secrets or bind a browser: prefixed when secure. The language
# and time-zone cookies are harmless preferences and keep their plain names.
_PREFIXED = frozenset({SESSION_COOKIE, CSRF_COOKIE, DEVICE_COOKIE})


def secure_cookies(settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return settings.public_scheme == "HTTPS"


def cookie_name(conn: HTTPConnection, base: str) -> str:
    """The name ``base`` is set and read under on this instance."""
    if base in _PREFIXED and conn.app.state.rc.secure_cookies:
        return HOST_PREFIX + base
    return base


def read_cookie(conn: HTTPConnection, base: str) -> str | None:
    return conn.cookies.get(cookie_name(conn, base))

"""Swappable backends chosen by configuration (the pattern of Warehouse's services).

A kind of backend (rate-limit storage, the media store; later payment providers, SMS,
notification channels) is a ``typing.Protocol`` the rest of the code depends on, plus a
table of built-in implementations by name. A setting (``RELAYCODE_MEDIA_BACKEND``, …)
names one of them, or any importable ``package.module:Class``: the class's
``from_settings(settings)`` builds the instance once, at startup, and ``load`` checks it
provides the protocol, so a wrong setting stops the server with one clear line instead
of failing on the first request. See docs/backends.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from relaycode.config import Settings


class BackendError(ValueError):
    """A backend setting that names nothing usable (raised at startup)."""


def load(kind: str, name: str, builtins: Mapping[str, str], settings: Settings) -> object:
    """Build the backend ``name`` of this ``kind``: a built-in name or ``module:Class``."""
    target = builtins.get(name, name)
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        choices = ", ".join(sorted(builtins))
        raise BackendError(
            f"unknown {kind} backend {name!r}: use one of {choices}, or 'package.module:Class'"
        )
    try:
        factory: Any = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise BackendError(f"{kind} backend {target!r} cannot be imported: {exc}") from exc
    if not callable(getattr(factory, "from_settings", None)):
        raise BackendError(f"{kind} backend {target!r} has no from_settings(settings)")
    backend: object = factory.from_settings(settings)
    return backend


def wrong_type(kind: str, name: str, protocol: type) -> BackendError:
    return BackendError(f"{kind} backend {name!r} does not provide {protocol.__name__}")

"""The media store: where offer pictures are kept, behind a small protocol.

``local`` (the default, ``RELAYCODE_MEDIA_BACKEND=local``) keeps them as files under
``<data_dir>/media``. Another backend (an object store shared by several instances) only
has to provide ``MediaStore`` and a ``from_settings`` (docs/backends.md). Pictures are
always served at ``/media/<name>``; names are random per upload, so a stored picture
never changes under its name and may be cached forever.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol, runtime_checkable

from relaycode import backends
from relaycode.config import Settings

BUILTIN = {"local": "relaycode.media:LocalMediaStore"}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,150}\.(jpg|png|webp)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@runtime_checkable
class MediaStore(Protocol):
    def put(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name`` (a ``NAME``: no directories)."""
        ...

    def get(self, name: str) -> bytes | None:
        """The stored bytes, or None when there is no such picture."""
        ...

    def delete(self, name: str) -> None:
        """Forget ``name``; forgetting a missing name is not an error."""
        ...


def new_name(prefix: str, extension: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}.{extension}"


def content_type(name: str) -> str | None:
    match = NAME.match(name)
    return CONTENT_TYPES[match.group(1)] if match else None


class LocalMediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalMediaStore:
        return cls(settings.data_dir / "media")

    def _path(self, name: str) -> Path | None:
        # The name pattern has no separators and no leading dot: nothing outside root.
        return self.root / name if NAME.match(name) else None

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        if path is None:
            raise ValueError(f"not a media name: {name!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # readers never see half a picture

    def get(self, name: str) -> bytes | None:
        path = self._path(name)
        try:
            return path.read_bytes() if path is not None else None
        except (FileNotFoundError, IsADirectoryError):
            return None

    def delete(self, name: str) -> None:
        path = self._path(name)
        if path is not None:
            path.unlink(missing_ok=True)


def store_from_settings(settings: Settings) -> MediaStore:
    name = settings.media_backend
    store = backends.load("media", name, BUILTIN, settings)
    if not isinstance(store, MediaStore):
        raise backends.wrong_type("media", name, MediaStore)
    return store

"""Files only their owner may read (keys, backups, the served address), written atomically.

Written where other users may have a say (an export to /tmp, a shared directory), so
nothing here trusts a name it did not create itself.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path


class PrivateFileError(ValueError):
    """The destination cannot be written as asked; the message (one line) says why."""


def write_private_text(path: Path, text: str, *, overwrite: bool) -> None:
    """Write ``text`` to ``path``, mode 0600, atomically: a temporary file of our own in
    the same directory, synced, then renamed over ``path``.

    The temporary file is made with ``O_EXCL`` under a random name (``mkstemp``), so a
    file or link planted beside ``path`` is never written through; a ``path`` that is a
    directory or a symbolic link is refused (renaming over a link would replace the link
    and leave its target: never what was meant); any failure removes the temporary file.
    """
    if path.is_symlink():
        raise PrivateFileError(f"{path} is a symbolic link; give the path of a regular file")
    if path.is_dir():
        raise PrivateFileError(f"{path} is a directory; give the path of a file")
    if path.exists() and not overwrite:
        raise PrivateFileError(f"{path} already exists (use --force to overwrite it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_dir(path.parent)


def _sync_dir(directory: Path) -> None:
    """Make the rename itself durable (a crash right after would otherwise lose it)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass  # some filesystems cannot sync a directory; the data is synced already
    finally:
        os.close(dir_fd)

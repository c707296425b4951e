"""What every CLI command shares: settings, a transaction, one-line errors."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring, KeyringError
from relaycode.config import Settings, get_settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.errors import AppError
from relaycode.state import open_keyring

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    s = get_settings()
    s.ensure_data_dir()
    return s


def keyring() -> Keyring:
    """The keyring, or one line saying what to restore (see ``state.open_keyring``)."""
    db = Database(make_engine(settings().resolved_database_url))
    try:
        return open_keyring(settings(), db)
    except KeyringError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        raise fail(f"database: {str(exc.orig).splitlines()[0]}") from None
    finally:
        db.dispose()


@contextmanager
def transaction() -> Iterator[Session]:
    db = Database(make_engine(settings().resolved_database_url))
    try:
        with db.transaction() as session:
            yield session
    finally:
        db.dispose()


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Bad input ends the command with one line on stderr and a non-zero exit."""
    try:
        yield
    except AppError as exc:
        raise fail(f"{exc.message} ({exc.code}){_problems(exc)}") from None
    except KeyringError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(os_error(exc)) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        hint = " (run 'relaycode db upgrade' first)" if _missing_schema(exc) else ""
        raise fail(f"database: {str(exc.orig).splitlines()[0]}{hint}") from None


def _problems(exc: AppError) -> str:
    """``: drawer: required; amount: …`` from ``details.problems``, so the one line says
    which field is wrong (credentials/fields.py)."""
    problems = exc.details.get("problems")
    if not isinstance(problems, list):
        return ""
    said = [
        f"{p.get('field')}: {p.get('problem')}"
        for p in problems
        if isinstance(p, dict) and "field" in p
    ]
    return ": " + "; ".join(said) if said else ""


_OS_REASONS: tuple[tuple[type[OSError], str], ...] = (
    (FileNotFoundError, "no such file or directory"),
    (IsADirectoryError, "is a directory, not a file"),
    (NotADirectoryError, "a part of the path is not a directory"),
    (PermissionError, "permission denied"),
    (FileExistsError, "already exists"),
)


def os_error(exc: OSError) -> str:
    """An OS error in our words: ``x.png: no such file or directory``, never ``[Errno 2]``."""
    reason = next((r for cls, r in _OS_REASONS if isinstance(exc, cls)), None)
    reason = reason or (exc.strerror or str(exc) or type(exc).__name__).lower()
    return f"{exc.filename}: {reason}" if exc.filename else reason


@contextmanager
def glyph_warnings() -> Iterator[None]:
    """Print each distinct MissingGlyphsWarning once, as one ``warning:`` line on stderr."""
    from relaycode.codes.fonts import MissingGlyphsWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MissingGlyphsWarning)
        try:
            yield
        finally:
            seen = dict.fromkeys(
                str(w.message) for w in caught if issubclass(w.category, MissingGlyphsWarning)
            )
            for message in seen:
                err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False,
                                  soft_wrap=True)  # fmt: skip


def _missing_schema(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "no such table" in text or "does not exist" in text

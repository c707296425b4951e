"""What every CLI command shares: settings, a transaction, one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from relaycode.codes.keys import Keyring
from relaycode.config import Settings, get_settings
from relaycode.db.engine import make_engine
from relaycode.db.session import Database
from relaycode.errors import AppError

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    s = get_settings()
    s.ensure_data_dir()
    return s


def keyring() -> Keyring:
    return Keyring.for_data_dir(settings().data_dir)


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
        raise fail(f"{exc.message} ({exc.code})") from None
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        hint = " (run 'relaycode db upgrade' first)" if _missing_schema(exc) else ""
        raise fail(f"database: {str(exc.orig).splitlines()[0]}{hint}") from None


def _missing_schema(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "no such table" in text or "does not exist" in text

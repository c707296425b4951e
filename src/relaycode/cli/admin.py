"""``relaycode admin`` — instance administration: who the operators are.

Operators administer every merchant, so nobody becomes one by signing up: an operator
is made here, by whoever runs the command on the server.

Exit codes: 0 done (or nothing to do), 1 refused (bad name or password, wrong
combination of options, database error), 2 bad usage.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from relaycode.cli.common import console, fail, one_line_errors, settings, transaction
from relaycode.identity import repository as id_repo
from relaycode.identity import service as identity
from relaycode.identity.passwords import Passwords
from relaycode.identity.schemas import RegisterIn
from relaycode.models import User

app = typer.Typer(no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # The first line only, without its line ending: `printf '%s\n' "$PW" | …` works.
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _validated(username: str, password: str) -> RegisterIn:
    try:
        return RegisterIn(username=username, password=password)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "input"
        raise fail(f"{field}: {first['msg']}") from None


def make_operator(
    db: Session, pw: Passwords, username: str, password: str | None
) -> tuple[User, str]:
    """Promote ``username``, or create it with ``password``: (user, what happened)."""
    user = id_repo.user_by_username(db, username)
    if user is not None:
        if password is not None:
            raise fail(f"user {user.username!r} exists: run without a password to promote it")
        if user.is_operator:
            return user, "already an operator"
        user.is_operator = True
        return user, "promoted to operator"
    if password is None:
        raise fail(f"no user {username.strip().lower()!r}: give a password to create one")
    user = identity.register(db, pw, _validated(username, password))
    user.is_operator = True
    return user, "created as operator"


@app.command("create-operator")
def create_operator(
    username: str = typer.Argument(..., help="Who administers this instance."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new account's password from stdin."
    ),
) -> None:
    """Make USERNAME an operator: promote an existing user, or create the account.

    A new account's password is asked for twice, or read from stdin with
    --password-stdin (for scripts).
    """
    s = settings()
    pw = Passwords(s.argon2_memory_kib, s.argon2_time_cost)
    with one_line_errors():
        # A short look first: never prompt while holding a transaction (on SQLite it
        # would hold the write lock the running server needs).
        with transaction() as db:
            exists = id_repo.user_by_username(db, username) is not None
        if exists and password_stdin:
            raise fail(f"user {username.strip().lower()!r} exists: drop --password-stdin")
        password = None if exists else _read_password(password_stdin)
        with transaction() as db:
            user, what = make_operator(db, pw, username, password)
            name = user.username
    console.print(f"{name}: {what}", highlight=False)

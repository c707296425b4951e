"""Request dependencies: app state and the one transaction of a request.

They are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in the thread
pool, and every hop there costs more than a primary-key lookup. Only real database
work (the commit at the end) goes to a thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from relaycode.state import AppState


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.rc
    return state


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def _touched(session: Session) -> bool:
    return session.in_transaction() or bool(session.new or session.dirty or session.deleted)


async def _transaction(session: Session) -> AsyncIterator[Session]:
    """Commit when the handler returns, roll back when it raises.

    Used with ``scope="function"`` so the commit happens before the response is sent:
    a failed commit becomes an error response, never a 200 for lost data.
    """
    try:
        yield session
    except BaseException:
        # Synchronously: this may run while the request is being cancelled, where an
        # await would itself be cancelled and leave the transaction (and SQLite's write
        # lock) open until garbage collection. A rollback is quick.
        _finish(session, False)
        raise
    if _touched(session):
        await run_in_threadpool(_finish, session, True)
    else:
        session.close()


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's writable transaction, once one of the database's write slots is
    free (db/write_slots.py): a burst of writes queues here, in the event loop, instead
    of filling every worker thread with handlers that wait for commits that then find
    no thread to run on."""
    db = request.app.state.rc.db
    async with db.write_slots.slot():
        async for session in _transaction(db.sessionmaker()):
            yield session


async def get_read_db(request: Request) -> AsyncIterator[Session]:
    """A read-only transaction, for hot paths that write nothing (or write later)."""
    async for session in _transaction(request.app.state.rc.db.readonly_sessionmaker()):
        yield session


StateDep = Annotated[AppState, Depends(get_state)]
DbDep = Annotated[Session, Depends(get_db, scope="function")]
ReadDbDep = Annotated[Session, Depends(get_read_db, scope="function")]


async def no_store(response: Response) -> None:
    """For answers that carry a secret (a token, an API key): no cache, shared or private,
    may keep them (pages get the same from ``web.render.finish``)."""
    response.headers["Cache-Control"] = "no-store"


NoStore = Depends(no_store)

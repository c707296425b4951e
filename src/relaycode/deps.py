"""Request dependencies: app state and the one transaction of a request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from relaycode.state import AppState


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.rc
    return state


def get_db(request: Request) -> Iterator[Session]:
    """Commit when the handler returns, roll back when it raises.

    Used with ``scope="function"`` so the commit happens before the response is sent:
    a failed commit becomes an error response, never a 200 for lost data.
    """
    with get_state(request).db.transaction() as session:
        yield session


StateDep = Annotated[AppState, Depends(get_state)]
DbDep = Annotated[Session, Depends(get_db, scope="function")]

"""The inbox page: a user's notifications, newest first, updated live (static/live.js)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaycode.deps import DbDep, ReadDbDep
from relaycode.notify import inbox
from relaycode.notify import repository as repo
from relaycode.notify.schemas import InboxItemOut
from relaycode.web import i18n
from relaycode.web.paging import PAGE_SIZE, cursor_of, pager
from relaycode.web.render import page, redirect
from relaycode.web.session import FormDep, SignedInDep, text

router = APIRouter()


@router.get("/inbox")
def inbox_page(request: Request, db: ReadDbDep, principal: SignedInDep) -> Response:
    user = principal.signed_in_user()
    lang = i18n.pick_lang(request)
    locale = i18n.number_locale(request, lang)
    found = repo.inbox_page(db, user.id, cursor=cursor_of(request), limit=PAGE_SIZE)
    context = {
        "user": user,
        "items": [InboxItemOut.of(i, lang, locale) for i in found.items],
        "items_pager": pager(request, found, anchor="inbox-h"),
        "unread": repo.unread_count(db, user.id),
        "first_page": cursor_of(request) is None,
    }
    return page(request, "inbox.html", context)


@router.post("/inbox/read")
def inbox_read(request: Request, form: FormDep, db: DbDep, principal: SignedInDep) -> Response:
    """One item (``id``) or all of them (``all``) read, then back to the inbox."""
    user = principal.signed_in_user()
    one = text(form, "id")
    if text(form, "all"):
        inbox.mark_read(db, user.id, None)
    elif one.isdigit() and len(one) < 19:
        inbox.mark_read(db, user.id, [int(one)])
    return redirect(request, "/inbox")


@router.post("/inbox/test")
def inbox_test(request: Request, form: FormDep, db: DbDep, principal: SignedInDep) -> Response:
    inbox.notify_user(db, principal.signed_in_user().id, "test", {"url": "/inbox"})
    return redirect(request, "/inbox")

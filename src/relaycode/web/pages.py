"""All server-rendered pages as one router (included by relaycode.app)."""

from __future__ import annotations

from fastapi import APIRouter

from relaycode.web import auth_pages, dashboard, offer_form, public, scan

router = APIRouter(include_in_schema=False)
for module in (auth_pages, dashboard, offer_form, scan, public):
    router.include_router(module.router)

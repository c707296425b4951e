"""The FastAPI application: JSON API, pages and short code routes in one app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from relaycode.api_docs import install_api_docs
from relaycode.bodylimit import BodyLimit, route_limits
from relaycode.codes.scan_lane import ScanLane
from relaycode.config import Settings, get_settings
from relaycode.errors_http import install_error_handlers
from relaycode.notify.runtime import NotifyRuntime
from relaycode.openapi import install_openapi
from relaycode.state import AppState
from relaycode.web.security import SecurityHeadersMiddleware
from relaycode.web.session import SignInRequired, sign_in_redirect

_WEB = Path(__file__).parent / "web"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    state = AppState.from_settings(settings)
    notify = NotifyRuntime(state)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        notify.start()
        yield
        notify.stop()
        state.scans.close()
        state.activity.close()
        if state.async_reader is not None:
            await state.async_reader.close()
        state.db.dispose()

    app = FastAPI(
        title="relaycode",
        version="0.1.0",
        summary="Services that travel by barcode",
        lifespan=lifespan,
        docs_url=None,  # served from local files by install_api_docs
        redoc_url=None,
    )
    app.state.rc = state
    from relaycode.orders import paying

    paying.configure(operator_max_depth=settings.commission_max_depth)
    from relaycode.credentials.claims import on_phone_verified
    from relaycode.identity.phone import register_phone_hook

    register_phone_hook(on_phone_verified)  # pending bills bound to a number find their holder
    app.state.notify = notify
    install_error_handlers(app)
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    # Added first, so it runs inside the security headers: the scan hot path (scan_lane.py).
    if settings.scan_fast_path:
        app.add_middleware(ScanLane)
    # Outside ScanLane: every body, the scan's too, is counted as it arrives.
    app.add_middleware(BodyLimit, limit_for=route_limits(settings))
    app.add_middleware(SecurityHeadersMiddleware)

    @app.get("/healthz", tags=["meta"])
    async def healthz() -> JSONResponse:
        """Answers while the process serves requests (it does not check the database)."""
        # The resolve benchmark's baseline: no database, no templates.
        return JSONResponse({"ok": True})

    from relaycode.analytics.endpoints import router as analytics_router
    from relaycode.catalog.endpoints import router as catalog_router
    from relaycode.codes.endpoints import router as codes_router
    from relaycode.codes.list_endpoints import router as code_lists_router
    from relaycode.credentials.credential_endpoints import router as credentials_router
    from relaycode.credentials.endpoints import router as credential_templates_router
    from relaycode.credentials.offline_endpoints import router as offline_redemptions_router
    from relaycode.games.endpoints import router as games_router
    from relaycode.identity.endpoints import router as identity_router
    from relaycode.identity.phone_endpoints import router as phone_router
    from relaycode.merchants.endpoints import router as merchants_router
    from relaycode.notify.endpoints import router as notify_router
    from relaycode.orders.endpoints import router as orders_router
    from relaycode.payments.endpoints import router as wallet_router
    from relaycode.payments.stripe_endpoints import router as stripe_router
    from relaycode.receipts.endpoints import router as receipts_router
    from relaycode.referrals.commission_endpoints import router as commission_router
    from relaycode.referrals.endpoints import router as referrals_router
    from relaycode.referrals.withdrawal_endpoints import router as withdrawals_router
    from relaycode.web.pages import router as pages_router

    # Codes first: routes are matched in order and /api/v1/scan is the hot path.
    app.include_router(codes_router, prefix="/api/v1")
    app.include_router(code_lists_router, prefix="/api/v1")
    app.include_router(identity_router, prefix="/api/v1")
    app.include_router(phone_router, prefix="/api/v1")
    app.include_router(merchants_router, prefix="/api/v1")
    app.include_router(catalog_router, prefix="/api/v1")
    app.include_router(referrals_router, prefix="/api/v1")
    app.include_router(stripe_router, prefix="/api/v1")
    app.include_router(wallet_router, prefix="/api/v1")
    app.include_router(commission_router, prefix="/api/v1")
    app.include_router(withdrawals_router, prefix="/api/v1")
    app.include_router(notify_router, prefix="/api/v1")
    app.include_router(orders_router, prefix="/api/v1")
    app.include_router(analytics_router, prefix="/api/v1")
    app.include_router(games_router, prefix="/api/v1")
    app.include_router(credential_templates_router, prefix="/api/v1")
    # Before credentials_router: /redemptions/offline is its own route, not a parameter.
    app.include_router(offline_redemptions_router, prefix="/api/v1")
    app.include_router(credentials_router, prefix="/api/v1")
    app.include_router(receipts_router, prefix="/api/v1")
    app.include_router(pages_router)
    install_api_docs(app)
    install_openapi(app)
    app.mount("/static", StaticFiles(directory=_WEB / "static"), name="static")
    return app

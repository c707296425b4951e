"""Interactive API docs served from this instance: no CDN, so they work offline too.

Swagger UI's files come from the ``swagger-ui-bundle-v2`` package (Apache-2.0). The page
is ours rather than FastAPI's ``get_swagger_ui_html``, whose inline start-up script would
need a weaker Content-Security-Policy: ours starts Swagger UI from a static file, so
``/docs`` gets the same strict CSP and ``X-Frame-Options`` as every other page.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from relaycode.web.render import static_url

ASSETS = "/static/swagger"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{init}"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        html = _PAGE.format(
            title=escape(f"{app.title} API"),
            assets=ASSETS,
            openapi_url=escape(app.openapi_url or "/openapi.json"),
            init=static_url("swagger-init.js"),
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

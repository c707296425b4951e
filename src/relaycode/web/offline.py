"""Offline support for phones (claim 5): the service worker and the web app manifest.

The worker (static/sw.js) is served from the site's root so that its scope covers every
page; what it pre-caches is filled in here — the static files offer, share and
"my codes" pages load, under the versioned names the pages use — together with a
version, so a changed file makes browsers install the new worker. No build step.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaycode.web import i18n
from relaycode.web.render import STATIC_DIR, static_url

router = APIRouter(include_in_schema=False)

# Loaded by the pages with their version (static_url), and the modules they import.
VERSIONED = (
    "app.css",
    "app.js",
    "icon.svg",
    "share.css",
    "share.js",
    "offline-share.js",
    "notify.css",
    "live.js",
    # the verifier station (web/station.py) opens offline too
    "station.css",
    "scan.js",
    "station.js",
)
IMPORTED = (
    "keep-offline.js",
    "share-code.js",
    "vendor/qrcode-generator.js",
    "vendor/jsQR.js",  # the station reads QR codes itself when offline (scan.js)
    "device-key.js",
    "credential-verify.js",
    "presentation.js",
)


@lru_cache(maxsize=1)
def worker_source() -> str:
    assets = [static_url(name) for name in VERSIONED] + [f"/static/{n}" for n in IMPORTED]
    digest = hashlib.sha256(json.dumps(assets).encode())
    for name in ("sw.js", *IMPORTED):
        digest.update((STATIC_DIR / name).read_bytes())
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    source = source.replace(
        'const VERSION = "dev";', f'const VERSION = "{digest.hexdigest()[:12]}";', 1
    )
    return source.replace("const ASSETS = [];", f"const ASSETS = {json.dumps(assets)};", 1)


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker; ``no-cache`` so that browsers see a new one at once."""
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"}
    return Response(worker_source(), media_type="text/javascript", headers=headers)


@router.get("/manifest.webmanifest")
def manifest(request: Request) -> Response:
    """The web app manifest: the site installed on a phone opens on "my codes"."""
    lang = i18n.pick_lang(request)
    t = i18n.Translator(lang)
    doc = {
        "name": t("app.name"),
        "short_name": t("app.name"),
        "description": t("app.tagline"),
        "lang": lang,
        "start_url": "/me/codes",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0f766e",
        "icons": [{"src": static_url("icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    headers = {"Cache-Control": "public, max-age=3600", "Vary": "Accept-Language"}
    body = json.dumps(doc, ensure_ascii=False)
    return Response(body, media_type="application/manifest+json", headers=headers)

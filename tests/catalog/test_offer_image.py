"""``PUT /api/v1/offers/{id}/image`` is an edit of the offer like ``PATCH``.

It used to change an archived offer's picture (200), ignore ``If-Match`` and leave the
version alone, and it decoded the picture with Pillow on the event loop's thread.
"""

from __future__ import annotations

import asyncio
import io
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register
from PIL import Image

from relaycode.catalog import service


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buf, "PNG")
    return buf.getvalue()


def _put(client: TestClient, token: str, offer_id: int, **headers: str) -> Any:
    return client.put(
        f"/api/v1/offers/{offer_id}/image",
        content=_png(),
        headers={**auth(token), **headers},
    )


def _offer(client: TestClient, token: str, offer_id: int) -> dict[str, Any]:
    r = client.get("/api/v1/merchants/shop/offers?include_archived=true", headers=auth(token))
    found: dict[str, Any] = next(o for o in r.json()["items"] if o["id"] == offer_id)
    return found


def test_image_upload_bumps_the_version_and_honours_if_match(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    assert offer["version"] == 1
    r = _put(client, token, offer["id"], **{"If-Match": "1"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["image_url"].startswith("/media/")
    first = r.json()["image_url"]
    r = _put(client, token, offer["id"], **{"If-Match": "1"})  # stale
    assert r.status_code == 409 and r.json()["error"]["code"] == "version_conflict"
    now = _offer(client, token, offer["id"])
    assert now["version"] == 2 and now["image_url"] == first
    r = _put(client, token, offer["id"])  # no precondition: last writer wins, still counted
    assert r.status_code == 200 and r.json()["version"] == 3


def test_archived_offer_keeps_its_image(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    r = client.post(f"/api/v1/offers/{offer['id']}/archive", headers=auth(token))
    assert r.status_code == 200
    before = _offer(client, token, offer["id"])
    r = _put(client, token, offer["id"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "offer_archived"
    after = _offer(client, token, offer["id"])
    assert after["image_url"] == before["image_url"] is None
    assert after["version"] == before["version"]


def test_image_is_decoded_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Pillow decode of the upload runs where no event loop is running."""
    token = register(client)
    offer = merchant_with_offer(client, token)
    seen: list[tuple[str, bool]] = []
    real_open = service.Image.open

    def spying_open(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        seen.append((threading.current_thread().name, on_loop))
        return real_open(*args, **kwargs)

    monkeypatch.setattr(service.Image, "open", spying_open)
    r = _put(client, token, offer["id"])
    assert r.status_code == 200, r.text
    assert seen, "the upload was not decoded at all"
    assert not any(on_loop for _name, on_loop in seen), seen

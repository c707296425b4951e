"""The media store behind its protocol: local files by default, any backend by setting."""

from __future__ import annotations

import io
import sys
import types
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register
from PIL import Image

from relaycode.app import create_app
from relaycode.backends import BackendError
from relaycode.config import Settings
from relaycode.media import LocalMediaStore, MediaStore, store_from_settings


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "PNG")
    return buf.getvalue()


def test_local_store_keeps_files_under_the_data_dir(tmp_path: Path) -> None:
    store = LocalMediaStore.from_settings(Settings(data_dir=tmp_path))
    assert isinstance(store, MediaStore)
    store.put("offer-1-abc.jpg", b"jpeg")
    assert (tmp_path / "media" / "offer-1-abc.jpg").read_bytes() == b"jpeg"
    assert store.get("offer-1-abc.jpg") == b"jpeg"
    store.delete("offer-1-abc.jpg")
    store.delete("offer-1-abc.jpg")  # twice is fine
    assert store.get("offer-1-abc.jpg") is None


@pytest.mark.parametrize("name", ["../keys/keyring.json", ".hidden.jpg", "a/b.jpg", "x.exe"])
def test_local_store_refuses_names_outside_its_pattern(tmp_path: Path, name: str) -> None:
    store = LocalMediaStore(tmp_path / "media")
    assert store.get(name) is None
    with pytest.raises(ValueError):
        store.put(name, b"x")


class DictMedia:
    """A whole backend in a dozen lines: what an object-store adapter would fill in."""

    items: ClassVar[dict[str, bytes]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> DictMedia:
        return cls()

    def put(self, name: str, data: bytes) -> None:
        self.items[name] = data

    def get(self, name: str) -> bytes | None:
        return self.items.get(name)

    def delete(self, name: str) -> None:
        self.items.pop(name, None)


def test_offer_pictures_go_through_the_configured_backend(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("relaycode_test_media")
    module.DictMedia = DictMedia  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "relaycode_test_media", module)
    chosen = settings.model_copy(update={"media_backend": "relaycode_test_media:DictMedia"})
    app = create_app(chosen)
    try:
        with TestClient(app) as client:
            token = register(client)
            offer = merchant_with_offer(client, token)
            r = client.put(
                f"/api/v1/offers/{offer['id']}/image", content=_png(), headers=auth(token)
            )
            assert r.status_code == 200, r.text
            url = r.json()["image_url"]
            name = url.rsplit("/", 1)[-1]
            assert name in DictMedia.items  # stored by the backend...
            assert not (chosen.data_dir / "media").exists()  # ...not on the local disk
            served = client.get(url)
            assert served.status_code == 200 and served.content == DictMedia.items[name]
            assert served.headers["content-type"] == "image/jpeg"
            assert client.get("/media/offer-1-000000000000.jpg").status_code == 404
    finally:
        app.state.rc.scans.close()
        app.state.rc.db.dispose()


def test_a_wrong_media_backend_stops_startup(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="unknown media backend 's3'"):
        store_from_settings(Settings(data_dir=tmp_path, media_backend="s3"))
    wrong = Settings(data_dir=tmp_path, media_backend="relaycode.identity.ratelimit:MemoryStore")
    with pytest.raises(BackendError, match="does not provide MediaStore"):
        store_from_settings(wrong)

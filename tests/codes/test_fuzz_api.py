"""Fuzzing the two endpoints that take arbitrary input from scanners: never a 500."""

from __future__ import annotations

import io
import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)


def _ok_or_4xx(r: Any) -> None:
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.json()["error"]["code"]


@FUZZ
@given(text=st.text(max_size=300))
def test_scan_any_text(client: TestClient, text: str) -> None:
    r = client.post("/api/v1/scan", json={"text": text})
    assert r.status_code == 200, r.text
    assert r.json()["verdict"] in {"ours", "ours_invalid", "foreign_url", "gtin", "text"}


@FUZZ
@given(body=json_values)
def test_scan_any_json(client: TestClient, body: Any) -> None:
    _ok_or_4xx(
        client.post(
            "/api/v1/scan", content=json.dumps(body), headers={"content-type": "application/json"}
        )
    )


@FUZZ
@given(
    raw=st.binary(max_size=200),
    ctype=st.sampled_from(["application/json", "text/plain", "multipart/form-data", ""]),
)
def test_scan_any_bytes(client: TestClient, raw: bytes, ctype: str) -> None:
    _ok_or_4xx(client.post("/api/v1/scan", content=raw, headers={"content-type": ctype}))


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (64, 64), 200).save(buf, "PNG")
    return buf.getvalue()


@FUZZ
@given(data=st.data())
def test_decode_any_bytes(client: TestClient, data: st.DataObject) -> None:
    png = _png()
    raw = data.draw(
        st.one_of(
            st.binary(max_size=400),
            # Corrupt a real image: truncate it or flip bytes past the signature.
            st.integers(min_value=0, max_value=len(png)).map(lambda n: png[:n]),
            st.lists(st.integers(min_value=8, max_value=len(png) - 1), max_size=6).map(
                lambda idx: bytes(b ^ 0x5A if i in idx else b for i, b in enumerate(png))
            ),
        )
    )
    as_form = data.draw(st.booleans())
    if as_form:
        r = client.post("/api/v1/decode", files={"file": ("x.png", raw, "image/png")})
    else:
        r = client.post(
            "/api/v1/decode", content=raw, headers={"content-type": "application/octet-stream"}
        )
    _ok_or_4xx(r)
    if r.status_code == 200:
        assert isinstance(r.json()["barcodes"], list)


def test_decode_limits_and_errors(client: TestClient, app: Any) -> None:
    app.state.rc.settings.max_upload_bytes = 1000
    r = client.post("/api/v1/decode", content=b"x" * 1001)
    assert r.status_code == 413 and r.json()["error"]["code"] == "image_too_large"
    r = client.post("/api/v1/decode", content=b"definitely not an image")
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_image"
    r = client.post("/api/v1/decode", files={"other": ("x.png", b"123", "image/png")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_file"

"""/api/v1/decode: every symbol with its corners, a bounded number of decodes at once, and
the decoding itself off the event loop."""

from __future__ import annotations

import asyncio
import io
import itertools
from collections.abc import Iterator

import numpy as np
import pytest
import segno
from fastapi.testclient import TestClient
from PIL import Image

from relaycode.codes import decode as decoder
from relaycode.codes.decode_gate import DecodeBusy, DecodeGate

TEXTS = [f"HTTP://127.0.0.1:8000/C/SHEET{i}" for i in range(3)]


def qr(text: str, module: int = 4) -> np.ndarray:
    code = segno.make(text, error="m")
    bits = np.array([list(r) for r in code.matrix_iter(scale=1, border=4)], dtype=bool)
    return np.kron(np.where(bits, 0, 255).astype(np.uint8), np.ones((module, module), np.uint8))


def sheet_png() -> bytes:
    """Eight codes of three texts, in a row."""
    symbols = [qr(TEXTS[i % 3]) for i in range(8)]
    side = symbols[0].shape[0]
    page = np.full((side + 20, 8 * (side + 10) + 10), 255, np.uint8)
    for i, sym in enumerate(symbols):
        page[10 : 10 + side, 10 + i * (side + 10) : 10 + i * (side + 10) + side] = sym
    buf = io.BytesIO()
    Image.fromarray(page).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def gate(client: TestClient) -> Iterator[DecodeGate]:
    """The app's gate, made small (one decode, 64 MB) so that a test can fill it."""
    app = client.app
    small = DecodeGate(1, 64 * 1024 * 1024, retry_after=1.5)
    app.state.decode_gate = small  # type: ignore[attr-defined]
    yield small
    del app.state.decode_gate  # type: ignore[attr-defined]


def test_repeated_codes_are_all_reported_with_corners(client: TestClient) -> None:
    r = client.post("/api/v1/decode", content=sheet_png(), headers={"content-type": "image/png"})
    assert r.status_code == 200, r.text
    barcodes = r.json()["barcodes"]
    assert sorted(b["text"] for b in barcodes) == sorted(TEXTS[i % 3] for i in range(8))
    lefts = sorted(b["position"][0][0] for b in barcodes)
    assert all(b - a > 100 for a, b in itertools.pairwise(lefts))  # 8 places
    for b in barcodes:
        assert len(b["position"]) == 4 and {"text", "symbology", "engine"} <= b.keys()


def test_full_gate_is_503_with_retry_after(client: TestClient, gate: DecodeGate) -> None:
    with gate.slot():  # another upload is being decoded
        r = client.post("/api/v1/decode", content=sheet_png())
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "decode_busy"
    assert r.headers["retry-after"] == "2"
    assert gate.in_use == (0, 0)
    assert client.post("/api/v1/decode", content=sheet_png()).status_code == 200
    assert gate.in_use == (0, 0)  # slot and memory given back


def test_memory_taken_by_other_decodes_is_503(client: TestClient, gate: DecodeGate) -> None:
    with gate.hold(gate.memory - 1024):  # other decodes hold all but 1 kB
        r = client.post("/api/v1/decode", content=sheet_png())
    assert (r.status_code, r.json()["error"]["code"]) == (503, "decode_busy")


def test_image_too_big_for_all_the_memory_is_413(client: TestClient, gate: DecodeGate) -> None:
    from hostile_images import png

    r = client.post("/api/v1/decode", content=png(6000, 6000, colour=6))  # 36 MP RGBA
    assert (r.status_code, r.json()["error"]["code"]) == (413, "image_too_many_pixels")


def test_empty_upload_is_bad_image_without_a_slot(client: TestClient, gate: DecodeGate) -> None:
    with gate.slot():
        r = client.post("/api/v1/decode", content=b"")
    assert (r.status_code, r.json()["error"]["code"]) == (422, "bad_image")


def test_decoding_runs_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = decoder.decode_image_bytes

    def spy(data: bytes, **kwargs: object) -> list[decoder.DecodedBarcode]:
        try:
            asyncio.get_running_loop()
            seen.append(True)  # called on the loop's thread: it would stall every request
        except RuntimeError:
            seen.append(False)
        return real(data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(decoder, "decode_image_bytes", spy)
    assert client.post("/api/v1/decode", content=sheet_png()).status_code == 200
    assert seen == [False]


def test_gate_unit() -> None:
    gate = DecodeGate(2, 100, retry_after=0.2)
    with gate.slot(), gate.slot():
        with pytest.raises(DecodeBusy) as err:
            gate.slot().__enter__()
        assert err.value.details == {"retry_after": 1}
        with gate.hold(60):
            with pytest.raises(DecodeBusy):
                gate.hold(50).__enter__()
            with gate.hold(40):
                assert gate.in_use == (2, 100)
    assert gate.in_use == (0, 0)

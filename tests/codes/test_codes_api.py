from __future__ import annotations

import io

import zxingcpp
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register
from PIL import Image


def test_code_images_render_and_decode(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    text = issue(client, token, offer["id"])
    code_id = client.get(f"/api/v1/offers/{offer['id']}/codes", headers=auth(token)).json()[
        "items"
    ][0]["id"]
    r = client.get(f"/api/v1/codes/{code_id}/image.png?scale=6&ecc=Q", headers=auth(token))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)))
    assert [b.text for b in found] == [text]
    r = client.get(f"/api/v1/codes/{code_id}/image.svg?download=1", headers=auth(token))
    assert r.content.lstrip().startswith(b"<") and b"svg" in r.content[:300]
    assert "attachment" in r.headers["content-disposition"]
    r = client.get(f"/api/v1/codes/{code_id}/image.pdf?symbology=datamatrix", headers=auth(token))
    assert r.content.startswith(b"%PDF")
    r = client.get(f"/api/v1/codes/{code_id}/image.png?scale=500", headers=auth(token))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = client.get(f"/api/v1/codes/{code_id}/image.gif", headers=auth(token))
    assert r.status_code == 422
    assert client.get(f"/api/v1/codes/{code_id}/image.png").status_code == 401
    other = register(client, "mallory")
    assert client.get(f"/api/v1/codes/{code_id}/image.png", headers=auth(other)).status_code == 403
    assert client.get("/api/v1/codes/zz/image.png", headers=auth(token)).status_code == 404


def test_decode_endpoint_finds_our_code(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    text = issue(client, token, offer["id"])
    code_id = client.get(f"/api/v1/offers/{offer['id']}/codes", headers=auth(token)).json()[
        "items"
    ][0]["id"]
    png = client.get(f"/api/v1/codes/{code_id}/image.png", headers=auth(token)).content
    # As a photo would arrive: JPEG, on a bigger canvas.
    canvas = Image.new("RGB", (900, 700), "white")
    canvas.paste(Image.open(io.BytesIO(png)).convert("RGB"), (200, 120))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=80)
    r = client.post("/api/v1/decode", files={"file": ("photo.jpg", buf.getvalue(), "image/jpeg")})
    assert r.status_code == 200, r.text
    (barcode,) = r.json()["barcodes"]
    assert barcode["text"] == text and barcode["symbology"] == "qr"
    assert len(barcode["position"]) == 4
    verdict = client.post("/api/v1/scan", json={"text": barcode["text"]}).json()
    assert verdict["verdict"] == "ours" and verdict["offer"]["id"] == offer["id"]


def test_issuing_for_archived_offer_is_refused(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    client.post(f"/api/v1/offers/{offer['id']}/archive", headers=auth(token))
    r = client.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=auth(token))
    assert r.status_code == 409 and r.json()["error"]["code"] == "offer_archived"


def test_api_docs_are_served_locally(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/api/v1/scan"]["post"]

"""One scan pipeline: the ASGI fast path and the routed endpoint answer byte for byte alike,
and an API key needs the ``scan`` scope on either."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register

from relaycode.app import create_app
from relaycode.codes.scan_lane import ScanLane
from relaycode.config import Settings


@pytest.fixture
def routed(settings: Settings) -> Iterator[TestClient]:
    """A second instance on the same database and keys, with the fast path switched off."""
    application = create_app(settings.model_copy(update={"scan_fast_path": False}))
    assert not any(m.cls is ScanLane for m in application.user_middleware)
    with TestClient(application, raise_server_exceptions=False) as c:
        yield c
    application.state.rc.scans.close()
    application.state.rc.db.dispose()


def _key(client: TestClient, owner: str, scopes: list[str]) -> str:
    r = client.post(
        "/api/v1/merchants/shop/api-keys",
        json={"name": "scanner", "scopes": scopes},
        headers=auth(owner),
    )
    assert r.status_code == 201, r.text
    key: str = r.json()["key"]
    return key


def _same(lane: TestClient, routed: TestClient, **request: Any) -> httpx.Response:
    a = lane.post("/api/v1/scan", **request)
    b = routed.post("/api/v1/scan", **request)
    assert (a.status_code, a.headers.raw, a.content) == (b.status_code, b.headers.raw, b.content)
    return a


def test_lane_and_route_answer_alike(client: TestClient, routed: TestClient) -> None:
    owner = register(client)
    offer = merchant_with_offer(client, owner, gtin="6901234567892")
    valid = issue(client, owner, offer["id"], channel="poster")
    revoked = issue(client, owner, offer["id"])
    code_id = client.post("/api/v1/scan", json={"text": revoked}).json()["code"]["id"]
    assert client.post(f"/api/v1/codes/{code_id}/revoke", headers=auth(owner)).status_code == 200
    ended = client.post(
        "/api/v1/merchants/shop/offers",
        json={"title": "Old tea", "price_minor": 100, "currency": "CNY"},
        headers=auth(owner),
    ).json()
    expired = issue(client, owner, ended["id"])
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    r = client.patch(
        f"/api/v1/offers/{ended['id']}",
        json={"valid_from": "2020-01-01T00:00:00Z", "valid_until": past},
        headers=auth(owner),
    )
    assert r.status_code == 200, r.text
    i = len("HTTPS://RC.TEST/C/") + 5
    forged = valid[:i] + ("B" if valid[i] == "A" else "A") + valid[i + 1 :]
    expected = {
        valid: ("ours", None),
        valid.lower(): ("ours", None),
        forged: ("ours_invalid", "bad_tag"),
        valid[:-3]: ("ours_invalid", "malformed"),
        revoked: ("ours_invalid", "revoked"),
        expired: ("ours_invalid", "expired"),
        "https://evil.example\\@rc.test/C/" + valid[-42:]: ("foreign_url", None),
        "https://shop.example/menu": ("foreign_url", None),
        "6901234567892": ("gtin", None),
        "hello": ("text", None),
    }
    for text, (verdict, reason) in expected.items():
        for _ in range(2):  # the second time from the answer cache, where one applies
            body = _same(client, routed, json={"text": text}).json()
            assert (body["verdict"], body["reason"]) == (verdict, reason), text
    as_json = {"content-type": "application/json"}
    errors: dict[str, tuple[dict[str, Any], int, str]] = {
        "malformed JSON": ({"content": b'{"text": ', "headers": as_json}, 422, "invalid_input"),
        "not an object": ({"json": ["x"]}, 422, "invalid_input"),
        "too large": ({"content": b"x" * (17 * 1024)}, 413, "too_large"),
        "bad bearer": ({"json": {"text": "x"}, "headers": auth("nonsense")}, 401, "bad_token"),
    }  # fmt: skip
    for name, (request, status, code) in errors.items():
        r = _same(client, routed, **request)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), name


def test_an_api_key_must_carry_the_scan_scope(client: TestClient, routed: TestClient) -> None:
    owner = register(client)
    offer = merchant_with_offer(client, owner)
    text = issue(client, owner, offer["id"])
    without = _key(client, owner, ["offers:read"])
    r = _same(client, routed, json={"text": text}, headers=auth(without))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    scanner = _key(client, owner, ["scan"])
    r = _same(client, routed, json={"text": text}, headers=auth(scanner))
    assert r.status_code == 200 and r.json()["verdict"] == "ours"
    # Anonymous scanners need no key at all.
    assert _same(client, routed, json={"text": text}).json()["verdict"] == "ours"


def test_the_prebuilt_response_has_the_headers_starlette_would_give() -> None:
    from starlette.responses import Response

    from relaycode.codes.scan_lane import JSONBytes

    body = '{"verdict":"text","target":"é"}'.encode()
    expected = Response(body, media_type="application/json")
    assert (JSONBytes(body).raw_headers, JSONBytes(body).body) == (expected.raw_headers, body)

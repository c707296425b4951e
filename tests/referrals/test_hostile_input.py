"""Hostile input to the share API: bad code texts, foreign links, huge or poisoned reviews,
control characters, wrong types. Always a 4xx with the error shape, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register


@pytest.fixture
def world(client: TestClient) -> dict[str, Any]:
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner)
    text = issue(client, owner, offer["id"])
    alice = register(client, "alice")
    share = client.post("/api/v1/shares", json={"code": text}, headers=auth(alice)).json()
    return {"text": text, "alice": alice, "share": share}


def _post_json(client: TestClient, url: str, body: Any, token: str, method: str = "POST") -> Any:
    """JSON with \\u escapes, so that lone surrogates travel as a hostile client sends them."""
    headers = {**auth(token), "content-type": "application/json"}
    return client.request(method, url, content=json.dumps(body).encode(), headers=headers)


def _refused(r: Any, status: int | None = None) -> str:
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    if status is not None:
        assert r.status_code == status, r.text
    code: str = r.json()["error"]["code"]
    return code


def test_bad_code_texts(client: TestClient, world: dict[str, Any]) -> None:
    token = world["text"].rsplit("/", 1)[-1]
    bodies: list[Any] = [
        {"code": world["text"] + "\x00"},
        {"code": world["text"][:20] + "\t" + world["text"][20:]},
        {"code": "\ud800"},
        {"code": "x" * 5000},
        {"code": ""},
        {"code": "   "},
        {"code": 42},
        {"code": [world["text"]]},
        {"code": None},
        {},
        {"code": world["text"], "channel": "has space"},
        {"code": world["text"], "channel": "x" * 65},
        {"code": world["text"], "channel": "微信"},
        [world["text"]],
    ]
    for body in bodies:
        r = _post_json(client, "/api/v1/shares", body, world["alice"])
        assert _refused(r, 422) == "invalid_input", body
    texts = {
        f"https://rc.test.evil.example/C/{token}": "foreign_code",
        f"https://x@rc.test/C/{token}": "invalid_code",
        f"HTTPS://RC.TEST/C/{token}extra": "invalid_code",
        f"HTTPS://RC.TEST/S/{token}": "invalid_code",  # /S/ is format 2: not 42 chars
        "data:text/html,<script>alert(1)</script>": "not_a_code",
        "file:///etc/passwd": "not_a_code",
        "https://例え.jp/C/" + token: "foreign_code",
        "0" * 13: "not_a_code",
    }
    for text, code in texts.items():
        r = client.post("/api/v1/shares", json={"code": text}, headers=auth(world["alice"]))
        assert _refused(r) == code, text
    # White space around a pasted code is not an error.
    r = client.post(
        "/api/v1/shares", json={"code": f"  {world['text']}\n"}, headers=auth(world["alice"])
    )
    assert r.status_code == 200 and r.json()["id"] == world["share"]["id"]
    r = client.post(
        "/api/v1/shares",
        content=b"{not json",
        headers={**auth(world["alice"]), "content-type": "application/json"},
    )
    assert _refused(r, 422) == "invalid_input"
    r = client.post(
        "/api/v1/shares",
        content=b'{"code": "' + b"A" * 200_000 + b'"}',
        headers={**auth(world["alice"]), "content-type": "application/json"},
    )
    assert _refused(r, 413) == "too_large"


def test_hostile_reviews(client: TestClient, world: dict[str, Any]) -> None:
    url = f"/api/v1/shares/{world['share']['id']}/review"
    headers = auth(world["alice"])
    for body in (
        {"rating": 5, "text": "x" * 2001},
        {"rating": 5, "text": "nul\x00inside"},
        {"rating": 5, "text": "bell\x07"},
        {"rating": 5, "text": "\udfff"},
        {"rating": 0},
        {"rating": 6},
        {"rating": 4.5},
        {"rating": "five"},
        {"text": "no rating"},
        {"rating": 5, "text": ["a"]},
    ):
        r = _post_json(client, url, body, world["alice"], method="PUT")
        assert _refused(r, 422) == "invalid_input", body
    ok = client.put(url, json={"rating": 5, "text": "é" * 2000}, headers=headers)
    assert ok.status_code == 200 and len(ok.json()["text"]) == 2000
    tabs = client.put(url, json={"rating": 1, "text": "a\tb\nc"}, headers=headers)
    assert tabs.status_code == 200 and tabs.json()["text"] == "a\tb\nc"
    big = b'{"rating": 5, "text": "' + b"y" * 100_000 + b'"}'
    r = client.put(url, content=big, headers={**headers, "content-type": "application/json"})
    assert _refused(r, 413) == "too_large"


@pytest.mark.parametrize(
    "code_id", ["nothex", "g" * 32, "a" * 31, "a" * 33, "%00" * 11, "..%2F..%2Fetc", "ａ" * 32]
)
def test_bad_code_ids_in_the_path(client: TestClient, world: dict[str, Any], code_id: str) -> None:
    r = client.put(
        f"/api/v1/shares/{code_id}/review", json={"rating": 3}, headers=auth(world["alice"])
    )
    assert 400 <= r.status_code < 500, r.text
    r = client.delete(f"/api/v1/shares/{code_id}/review", headers=auth(world["alice"]))
    assert 400 <= r.status_code < 500, r.text


def test_bad_page_cursors_and_tokens(client: TestClient, world: dict[str, Any]) -> None:
    r = client.get("/api/v1/me/shares?cursor=%00%01", headers=auth(world["alice"]))
    assert _refused(r, 400) == "bad_cursor"
    r = client.get("/api/v1/me/shares?limit=0", headers=auth(world["alice"]))
    assert _refused(r, 422) == "invalid_input"
    for path in ("/C/%00/qr.png", "/C/%E2%80%AE/qr.svg", "/shop/%00", "/shop/" + "s" * 100):
        assert 400 <= client.get(path).status_code < 500, path

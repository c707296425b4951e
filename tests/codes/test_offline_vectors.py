"""Format-2 vectors (tests/vectors/offline/*.json, written by generate_offline.py, an
independent standard-library implementation): the product against every file. The
phone's JavaScript is checked against the ``make`` ones in tests/web/test_share_code_js.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relaycode.codes.classify import classify
from relaycode.codes.share_tokens import (
    ShareToken,
    decode_share_token,
    device_of_pid,
    device_pid,
    device_share_key,
    make_share_body,
)
from relaycode.codes.tokens import decode_token

DIR = Path(__file__).parents[1] / "vectors" / "offline"
VECTORS = sorted(DIR.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def parent_ref(text: str, keys: dict[int, bytes]) -> bytes:
    """The parent reference a phone takes from a parent's text (verified here)."""
    body = text.rstrip("/").rsplit("/", 1)[-1]
    if "/S/" in text.upper():
        return decode_share_token(body, keys.get).code_id
    return decode_token(body, keys.get).code_id


def test_every_direction_is_covered() -> None:
    directions = {load(p)["input"]["direction"] for p in VECTORS}
    assert directions == {"derive", "make", "parse"}
    assert len(VECTORS) >= 25


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_vector(path: Path) -> None:
    v = load(path)
    keys = {int(k): bytes.fromhex(h) for k, h in v["keys"].items()}
    inp, want = v["input"], v["expected"]
    if inp["direction"] == "derive":
        master, device = keys[inp["kid"]], inp["device_id"]
        assert device_share_key(master, device).hex() == want["share_key"]
        pid = device_pid(master, device)
        assert pid.hex() == want["device_pid"]
        assert device_of_pid(master, pid) == device
        return
    if inp["direction"] == "make":
        parent = parent_ref(inp["parent_text"], keys)
        assert parent.hex() == want["parent_id"]
        body = make_share_body(
            inp["kid"],
            bytes.fromhex(inp["share_key"]),
            bytes.fromhex(inp["device_pid"]),
            parent,
            inp["counter"],
        )
        text = inp["prefix"] + body
        assert text == want["text"] and text == text.upper()
        c = classify(text, frozenset(v["our_hosts"]), keys.get)
        assert c.verdict == "ours", c
        assert isinstance(c.token, ShareToken)
        assert c.token.code_hex == want["code_id"]
        assert c.token.device_id == want["device_id"]
        assert c.token.counter == inp["counter"]
        return
    c = classify(inp["text"], frozenset(v["our_hosts"]), keys.get)
    assert (c.verdict, c.reason) == (want["verdict"], want["reason"])
    if want["verdict"] == "ours":
        assert isinstance(c.token, ShareToken)
        assert c.token.code_hex == want["code_id"]
        assert c.token.parent_hex == want["parent_id"]
        assert c.token.device_id == want["device_id"]
        assert c.token.counter == want["counter"]
        assert c.token.path == "S"

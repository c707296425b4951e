"""The code-format test vectors (tests/vectors/*.json), in both directions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relaycode.codes.classify import classify
from relaycode.codes.tokens import code_url, encode_token

VECTORS = sorted((Path(__file__).parents[1] / "vectors").glob("*.json"))


def test_there_are_vectors_both_ways() -> None:
    directions = {json.loads(p.read_text())["input"]["direction"] for p in VECTORS}
    assert directions == {"generate", "parse"}
    assert len(VECTORS) >= 20


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_vector(path: Path) -> None:
    v = json.loads(path.read_text())
    keys = {int(k): bytes.fromhex(h) for k, h in v["keys"].items()}
    hosts = frozenset(v["our_hosts"])
    inp = v["input"]
    if inp["direction"] == "generate":
        body = encode_token(inp["kid"], keys[inp["kid"]], bytes.fromhex(inp["code_id"]))
        text = code_url(inp["scheme"], inp["host"], body)
        assert text == v["expected_text"]
        assert text == text.upper()
        c = classify(text, hosts, keys.get)
        assert c.token is not None and c.token.code_hex == inp["code_id"]
    else:
        c = classify(inp["text"], hosts, keys.get)
    assert c.verdict == v["expected_verdict"]
    assert c.reason == v["expected_reason"]
    if inp["direction"] == "parse" and "host" in inp:
        assert c.host == inp["host"]
    if "gtin" in inp:
        assert c.gtin == inp["gtin"]

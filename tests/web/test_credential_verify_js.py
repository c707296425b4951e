"""static/credential-verify.js (offline check of format 3 in the browser) under node,
against every ``parse`` vector of a signed credential (CR1: or /V/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
MODULE = ROOT / "src" / "relaycode" / "web" / "static" / "credential-verify.js"
DIR = ROOT / "tests" / "vectors" / "credentials"
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

RUNNER = """
import { verifySigned } from %s;
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const out = [];
for (const v of JSON.parse(Buffer.concat(chunks).toString())) {
  const i = v.input;
  try {
    const c = await verifySigned(i.text, i.trust_lists, i.our_issuer, i.now);
    out.push({ name: v.name, reason: null, id: c.credential_id, value: c.value });
  } catch (e) {
    out.push({ name: v.name, reason: String(e.code || e) });
  }
}
console.log(JSON.stringify(out));
"""


def signed_vectors() -> list[dict[str, Any]]:
    docs = [json.loads(p.read_text()) for p in sorted(DIR.glob("parse-*.json"))]
    return [
        d
        for d in docs
        if d["input"]["text"][:4].upper() != "CR4:" and "/P/" not in d["input"]["text"].upper()
    ]


def _node(runner: str, vectors: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What credential-verify.js says of each vector, by name (Node, no browser)."""
    done = subprocess.run(
        ["node", "--input-type=module", "-e", runner % json.dumps(MODULE.as_uri())],
        input=json.dumps(vectors),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return {g["name"]: g for g in json.loads(done.stdout)}


def test_credential_verify_js_agrees_with_every_signed_vector() -> None:
    vectors = signed_vectors()
    assert len(vectors) >= 30
    got = _node(RUNNER, vectors)
    for v in vectors:
        want = v["expected"]
        assert got[v["name"]]["reason"] == want["reason"], v["name"]
        if want["reason"] is None:
            assert got[v["name"]]["id"] == want["claims"]["credential_id"]
            assert got[v["name"]]["value"] == want["claims"]["value"]


ROTATING_RUNNER = RUNNER.replace("verifySigned", "verifyRotating")


def test_credential_verify_js_agrees_with_every_rotating_vector() -> None:
    docs = [json.loads(p.read_text()) for p in sorted(DIR.glob("parse-*.json"))]
    vectors = [
        d
        for d in docs
        if d["input"]["text"][:4].upper() == "CR4:" or "/P/" in d["input"]["text"].upper()
    ]
    assert len(vectors) >= 12
    got = _node(ROTATING_RUNNER, vectors)
    for v in vectors:
        want = v["expected"]
        assert got[v["name"]]["reason"] == want["reason"], v["name"]
        if want["reason"] is None:
            assert got[v["name"]]["id"] == want["claims"]["credential_id"]

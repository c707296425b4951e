"""The phone's JavaScript (static/share-code.js) against the format-2 vectors that the
Python is checked against too (tests/codes/test_offline_vectors.py): under node when it
is installed, and in Chromium (tests/web/test_offline_share_browser.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
MODULE = ROOT / "src" / "relaycode" / "web" / "static" / "share-code.js"
VECTORS = sorted((ROOT / "tests" / "vectors" / "offline").glob("make-*.json"))

# Reads the vectors on stdin, answers what the module makes of each (or its error).
RUNNER = """
import * as sc from %s;
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const out = [];
for (const v of JSON.parse(Buffer.concat(chunks).toString())) {
  const i = v.input;
  try {
    const key = await sc.importShareKey(sc.fromHex(i.share_key));
    const share = { kid: i.kid, key, pid: i.device_pid, prefix: i.prefix };
    const made = await sc.makeShareCode(share, i.parent_text, i.counter);
    out.push({ name: v.name, ...made, extractable: key.extractable });
  } catch (e) {
    out.push({ name: v.name, error: String(e.code || e) });
  }
}
console.log(JSON.stringify(out));
"""


def expected(v: dict[str, Any]) -> dict[str, Any]:
    want = v["expected"]
    scheme_host = v["input"]["prefix"][: -len("/S/")]
    url = scheme_host.lower() + "/S/" + want["text"].rsplit("/", 1)[-1]
    return {"name": v["name"], "code": want["text"], "url": url, "id": want["code_id"],
            "parent": want["parent_id"], "extractable": False}  # fmt: skip


def vectors() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in VECTORS]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_share_code_js_under_node() -> None:
    assert len(VECTORS) >= 6
    script = RUNNER % json.dumps(MODULE.as_uri())
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(vectors()),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    got = json.loads(done.stdout)
    assert got == [expected(v) for v in vectors()]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_share_code_js_refuses_what_it_cannot_share() -> None:
    script = """
import * as sc from MODULE;
const key = await sc.importShareKey(new Uint8Array(32));
const share = { kid: 1, key, pid: "0011223344556677", prefix: "HTTPS://RC.TEST/S/" };
const out = [];
for (const parent of ["hello", "https://rc.test/C/AAAA", "https://rc.test/X/" + "A".repeat(42),
                      "https://rc.test/C/" + "A".repeat(42)]) {
  try { await sc.makeShareCode(share, parent, 1); out.push("made"); }
  catch (e) { out.push(e.code); }
}
console.log(JSON.stringify(out));
""".replace("MODULE", json.dumps(MODULE.as_uri()))
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    # A version-0 body ("AAAA…") is not a code either.
    assert json.loads(done.stdout) == ["not_a_code", "malformed", "not_a_code", "malformed"]

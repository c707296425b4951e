"""The phone's JavaScript for format 4 (static/presentation.js) under node, against the
``present`` vectors of tests/vectors/credentials (generate_credentials.py), which the Python
is checked against too; and what it makes verifies with the Python verifier."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from relaycode.codes.credential_token import CredentialTokenError, parse_presented
from relaycode.codes.trust_list import TrustList

ROOT = Path(__file__).parents[2]
MODULE = ROOT / "src" / "relaycode" / "web" / "static" / "presentation.js"
DIR = ROOT / "tests" / "vectors" / "credentials"
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

# Reads the vectors on stdin; imports each device key as the browser holds it
# (non-extractable private half) and answers what the module makes.
RUNNER = """
import * as p from %s;
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const out = [];
for (const v of JSON.parse(Buffer.concat(chunks).toString())) {
  const i = v.input;
  const jwk = { kty: "OKP", crv: "Ed25519", d: i.device.d, x: i.device.x };
  const alg = { name: "Ed25519" };
  const privateKey = await crypto.subtle.importKey("jwk", jwk, alg, false, ["sign"]);
  const { d, ...pub } = jwk;
  const publicKey = await crypto.subtle.importKey("jwk", pub, alg, true, ["verify"]);
  try {
    const made = await p.makePresentation(i.credential, { privateKey, publicKey }, i.now);
    const extractable = privateKey.extractable;
    out.push({ name: v.name, text: made.text, window: made.window, extractable });
  } catch (e) {
    out.push({ name: v.name, error: String(e.code || e) });
  }
}
console.log(JSON.stringify(out));
"""


def run(script: str, stdin: str = "") -> Any:
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_presentation_js_matches_the_vectors() -> None:
    vectors = [json.loads(p.read_text()) for p in sorted(DIR.glob("present-*.json"))]
    assert len(vectors) >= 2
    got = run(RUNNER % json.dumps(MODULE.as_uri()), json.dumps(vectors))
    assert got == [
        {"name": v["name"], "text": v["expected"]["text"], "window": v["expected"]["window"],
         "extractable": False}
        for v in vectors
    ]  # fmt: skip
    # And the Python verifier accepts what the JavaScript made, in its window.
    parse = json.loads((DIR / "parse-rotating-valid.json").read_text())["input"]
    trust = TrustList.combine(TrustList.from_json(t) for t in parse["trust_lists"])
    for v, made in zip(vectors, got, strict=True):
        now, issuer = v["input"]["now"], parse["our_issuer"]
        presented = parse_presented(made["text"], trust=trust, now=now, our_issuer=issuer)
        assert presented.kind == "rotating" and presented.window == now // 30
        with pytest.raises(CredentialTokenError) as err:
            parse_presented(made["text"], trust=trust, now=now + 90, our_issuer=issuer)
        assert err.value.reason == "stale_presentation"


def test_presentation_js_reads_every_signed_form_and_refuses_others() -> None:
    sign = json.loads((DIR / "sign-basic.json").read_text())["expected"]
    texts = [sign["cr1"], sign["url"], sign["url"].lower(), "hello", "CR1:a", "CR1:GGW"]
    script = f"""
import * as p from {json.dumps(MODULE.as_uri())};
const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const out = [];
for (const t of {json.dumps(texts)}) {{
  try {{ out.push(hex(p.credentialBytes(t))); }} catch (e) {{ out.push(e.code); }}
}}
out.push(p.base45Encode(new TextEncoder().encode("ietf!")), p.secondsLeft(61));
console.log(JSON.stringify(out));
"""
    got = run(script)
    assert got == [sign["hex"]] * 3 + ["malformed"] * 3 + ["QED8WEX0", 29]

"""Independent reference implementation of docs/code-format.md that wrote these vectors.

Run from the repo root: python tests/vectors/generate.py (rewrites the JSON files).
"""

import base64
import hashlib
import hmac
import json
import pathlib
from typing import Any

out = pathlib.Path("tests/vectors")
KEY = bytes(range(32))  # key id 1
KEY2 = bytes(range(32, 64))  # key id 2
HOST = "RC.EXAMPLE.COM"


def tok(kid, key, cid, version=1):
    head = bytes([version, kid]) + cid
    tag = hmac.new(key, b"rc/C" + head, hashlib.sha256).digest()[:8]
    return base64.b32encode(head + tag).decode().rstrip("=")


cases: list[tuple[str, dict[str, Any], str | None, str, str | None]] = []
cid = bytes.fromhex("00112233445566778899aabbccddeeff")
good = tok(1, KEY, cid)
cases.append(
    (
        "generate-offer-kid1",
        {"direction": "generate", "kid": 1, "code_id": cid.hex(), "scheme": "HTTPS", "host": HOST},
        f"HTTPS://{HOST}/C/{good}",
        "ours",
        None,
    )
)
cid2 = bytes(16)
cases.append(
    (
        "generate-offer-kid2-zero-id",
        {"direction": "generate", "kid": 2, "code_id": cid2.hex(), "scheme": "HTTPS", "host": HOST},
        f"HTTPS://{HOST}/C/{tok(2, KEY2, cid2)}",
        "ours",
        None,
    )
)


def parse(name, text, verdict, reason=None, extra=None):
    d = {"direction": "parse", "text": text}
    if extra:
        d.update(extra)
    cases.append((name, d, None, verdict, reason))


parse("parse-valid", f"HTTPS://{HOST}/C/{good}", "ours")
parse("parse-valid-lowercase", f"https://rc.example.com/c/{good.lower()}", "ours")
parse("parse-valid-http-scheme", f"HTTP://{HOST}/C/{good}", "ours")
parse("parse-valid-trailing-slash", f"HTTPS://{HOST}/C/{good}/", "ours")
flip = good[:10] + ("A" if good[10] != "A" else "B") + good[11:]
parse("parse-changed-char", f"HTTPS://{HOST}/C/{flip}", "ours_invalid", "bad_tag")
parse("parse-unknown-key", f"HTTPS://{HOST}/C/{tok(9, KEY, cid)}", "ours_invalid", "unknown_key")
parse(
    "parse-forged-with-other-key",
    f"HTTPS://{HOST}/C/{tok(1, b'x' * 32, cid)}",
    "ours_invalid",
    "bad_tag",
)
parse(
    "parse-version-2",
    f"HTTPS://{HOST}/C/{tok(1, KEY, cid, version=2)}",
    "ours_invalid",
    "malformed",
)
parse("parse-too-short", f"HTTPS://{HOST}/C/{good[:-1]}", "ours_invalid", "malformed")
parse("parse-bad-alphabet", f"HTTPS://{HOST}/C/{good[:-2]}18", "ours_invalid", "malformed")
last = good[-1]
idx = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(last)
noncanon = good[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[idx ^ 1]
parse(
    "parse-non-canonical-padding-bits", f"HTTPS://{HOST}/C/{noncanon}", "ours_invalid", "malformed"
)
parse(
    "parse-foreign-host-same-token",
    f"HTTPS://EVIL.EXAMPLE/C/{good}",
    "foreign_url",
    None,
    {"host": "evil.example"},
)
parse(
    "parse-foreign-url",
    "https://www.example.org/path?q=1",
    "foreign_url",
    None,
    {"host": "www.example.org"},
)
parse(
    "parse-lookalike-host",
    f"HTTPS://RC.EXAMPLE.COM.EVIL.TEST/C/{good}",
    "foreign_url",
    None,
    {"host": "rc.example.com.evil.test"},
)
parse(
    "parse-userinfo-trick",
    f"https://rc.example.com@evil.test/C/{good}",
    "foreign_url",
    None,
    {"host": "evil.test"},
)
parse(
    "parse-backslash-userinfo-trick",
    f"HTTP://evil.example\\@{HOST}/C/{good}",
    "foreign_url",
    None,
    {"host": "evil.example"},  # a browser ends the host at the backslash
)
parse(
    "parse-userinfo-on-our-host",
    f"https://rc.example.com@{HOST}/C/{good}",
    "ours_invalid",
    "malformed",
)
parse("parse-valid-default-port", f"HTTPS://{HOST}:443/C/{good}", "ours")
parse("parse-tab-inside", f"HTTPS://{HOST}/C/{good[:20]}\t{good[20:]}", "text")
parse("parse-gtin-13", "6901234567892", "gtin", None, {"gtin": "06901234567892"})
parse("parse-gtin-8", "96385074", "gtin", None, {"gtin": "00000096385074"})
parse("parse-upc-a", "036000291452", "gtin", None, {"gtin": "00036000291452"})
parse("parse-gtin-bad-check", "6901234567893", "text")
parse("parse-plain-text", "hello world", "text")
parse("parse-javascript-url", "javascript:alert(1)", "text")
parse("parse-wifi", "WIFI:S:cafe;T:WPA;P:secret;;", "text")
parse("parse-empty", "", "text")
for name, inp, expected_text, verdict, reason in cases:
    doc = {
        "name": name,
        "keys": {"1": KEY.hex(), "2": KEY2.hex()},
        "our_hosts": [HOST],
        "input": inp,
        "expected_text": expected_text,
        "expected_verdict": verdict,
        "expected_reason": reason,
    }
    (out / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n")
print(len(cases))

"""Independent reference implementation of format 2 (docs/code-format.md §4, share codes
made on a phone) that wrote tests/vectors/offline/*.json: the standard library only.

Run from the repo root: python tests/vectors/generate_offline.py (rewrites the files).

Three directions:
- ``derive``: what the server hands a device (its share key and pseudonymous id) from
  the keyring key and the device's row id;
- ``make``: what the phone computes from that alone, offline (the JavaScript in
  web/static/share-code.js and the Python in codes/share_tokens.py both check these);
- ``parse``: how the server classifies a text (verdict, reason, and what it names).
"""

import base64
import hashlib
import hmac
import json
import pathlib
from typing import Any

out = pathlib.Path("tests/vectors/offline")
KEY = bytes(range(32))  # key id 1, as in the format-1 vectors
KEY2 = bytes(range(32, 64))  # key id 2
HOST = "RC.EXAMPLE.COM"
HOST24 = "SHOP-24-CHARS.EXAMPLE.CN"  # a 24-character host: the size budget's case
assert len(HOST24) == 24


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def share_key(master: bytes, device: int) -> bytes:
    return hmac.new(master, b"rc/S/key" + device.to_bytes(8, "big"), hashlib.sha256).digest()


def pid(master: bytes, device: int) -> bytes:
    x = device.to_bytes(8, "big")
    left, right = x[:4], x[4:]
    for i in range(4):
        f = hmac.new(master, b"rc/S/pid" + bytes([i]) + right, hashlib.sha256).digest()[:4]
        left, right = right, bytes(a ^ b for a, b in zip(left, f, strict=True))
    return left + right


def online_text(kid: int, key: bytes, cid: bytes, host: str = HOST) -> str:
    head = bytes([1, kid]) + cid
    tag = hmac.new(key, b"rc/C" + head, hashlib.sha256).digest()[:8]
    return f"HTTPS://{host}/C/{b32(head + tag)}"


def head_of(kid: int, parent: bytes, p: bytes, counter: int, version: int = 2) -> bytes:
    return bytes([version, kid]) + parent + p + counter.to_bytes(4, "big")


def share_body(kid: int, skey: bytes, p: bytes, parent: bytes, counter: int, **kw: Any) -> str:
    head = head_of(kid, parent, p, counter, **kw)
    tag = hmac.new(skey, b"rc/S" + head, hashlib.sha256).digest()[:8]
    return b32(head + tag)


def code_id(body: str) -> bytes:
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    return hashlib.sha256(b"rc/S/id" + raw[:30]).digest()[:16]


def parent_id(text: str) -> bytes:
    body = text.rsplit("/", 1)[-1].upper()
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    return raw[2:18] if "/C/" in text.upper() else code_id(body)


docs: list[dict[str, Any]] = []


def add(name: str, inp: dict[str, Any], expected: dict[str, Any]) -> None:
    docs.append({"name": name, "keys": {"1": KEY.hex(), "2": KEY2.hex()},
                 "our_hosts": [HOST, HOST24], "input": inp, "expected": expected})  # fmt: skip


# -- derive ------------------------------------------------------------------------------
for kid, master, device in ((1, KEY, 1), (1, KEY, 4242), (2, KEY2, 1), (1, KEY, 2**40 + 7)):
    add(
        f"derive-kid{kid}-device{device}",
        {"direction": "derive", "kid": kid, "device_id": device},
        {"share_key": share_key(master, device).hex(), "device_pid": pid(master, device).hex()},
    )

# -- make (the phone) ------------------------------------------------------------------
root = online_text(1, KEY, bytes.fromhex("00112233445566778899aabbccddeeff"))
root24 = online_text(1, KEY, bytes(16), HOST24)


def make(name: str, kid: int, master: bytes, device: int, parent_text: str, counter: int,
         host: str = HOST, scheme: str = "HTTPS") -> str:  # fmt: skip
    skey, p = share_key(master, device), pid(master, device)
    parent = parent_id(parent_text)
    body = share_body(kid, skey, p, parent, counter)
    text = f"{scheme}://{host}/S/{body}"
    add(
        name,
        {"direction": "make", "kid": kid, "share_key": skey.hex(), "device_pid": p.hex(),
         "prefix": f"{scheme}://{host}/S/", "parent_text": parent_text, "counter": counter},
        {"text": text, "code_id": code_id(body).hex(), "parent_id": parent.hex(),
         "device_id": device},
    )  # fmt: skip
    return text


child = make("make-child-of-offer-code", 1, KEY, 4242, root, 1)
grandchild = make("make-child-of-phone-made-share", 1, KEY, 7, child, 1)
make("make-counter-max", 1, KEY, 4242, root, 2**32 - 1)
make("make-counter-zero-kid2", 2, KEY2, 1, root, 0)
make("make-lowercase-parent-text", 1, KEY, 4242, root.lower(), 2)
make("make-24-char-host", 1, KEY, 99, root24, 3, host=HOST24)
make("make-http-scheme", 1, KEY, 4242, root, 5, scheme="HTTP")

# -- parse (the server) ----------------------------------------------------------------


def parse(name: str, text: str, verdict: str, reason: str | None = None, **facts: Any) -> None:
    add(name, {"direction": "parse", "text": text},
        {"verdict": verdict, "reason": reason, **facts})  # fmt: skip


body = child.rsplit("/", 1)[-1]
facts: dict[str, Any] = {"code_id": code_id(body).hex(), "parent_id": parent_id(root).hex(),
         "device_id": 4242, "counter": 1}  # fmt: skip
parse("parse-child", child, "ours", **facts)
parse("parse-child-lowercase", child.lower(), "ours", **facts)
parse("parse-child-trailing-slash", child + "/", "ours", **facts)
parse("parse-grandchild", grandchild, "ours", code_id=code_id(grandchild.rsplit("/", 1)[-1]).hex(),
      parent_id=facts["code_id"], device_id=7, counter=1)  # fmt: skip
ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
for where in (4, 10, 32, 44, 52, 59):  # parent, parent, pid, counter, tag, tag
    c = body[where]
    flipped = body[:where] + ALPHA[ALPHA.index(c) ^ 16] + body[where + 1 :]
    parse(f"parse-changed-char-{where}", f"HTTPS://{HOST}/S/{flipped}", "ours_invalid", "bad_tag")
other_device = share_body(1, share_key(KEY, 4243), pid(KEY, 4242), parent_id(root), 1)
parse("parse-other-devices-key", f"HTTPS://{HOST}/S/{other_device}", "ours_invalid", "bad_tag")
forged = share_body(1, b"x" * 32, pid(KEY, 4242), parent_id(root), 1)
parse("parse-forged-key", f"HTTPS://{HOST}/S/{forged}", "ours_invalid", "bad_tag")
unknown = share_body(9, share_key(KEY, 4242), pid(KEY, 4242), parent_id(root), 1)
parse("parse-unknown-key", f"HTTPS://{HOST}/S/{unknown}", "ours_invalid", "unknown_key")
v3 = share_body(1, share_key(KEY, 4242), pid(KEY, 4242), parent_id(root), 1, version=3)
parse("parse-version-3-at-S", f"HTTPS://{HOST}/S/{v3}", "ours_invalid", "malformed")
parse("parse-too-short", f"HTTPS://{HOST}/S/{body[:-1]}", "ours_invalid", "malformed")
last = ALPHA.index(body[-1])
parse("parse-non-canonical-padding-bit", f"HTTPS://{HOST}/S/{body[:-1]}{ALPHA[last ^ 1]}",
      "ours_invalid", "malformed")  # fmt: skip
parse("parse-format1-token-at-S", f"HTTPS://{HOST}/S/{root.rsplit('/', 1)[-1]}", "ours_invalid",
      "malformed")  # fmt: skip
parse("parse-share-token-at-C", f"HTTPS://{HOST}/C/{body}", "ours_invalid", "malformed")
parse("parse-foreign-host", f"HTTPS://EVIL.EXAMPLE/S/{body}", "foreign_url")

out.mkdir(parents=True, exist_ok=True)
for old in out.glob("*.json"):
    old.unlink()
for doc in docs:
    (out / f"{doc['name']}.json").write_text(json.dumps(doc, indent=2) + "\n")
print(len(docs))

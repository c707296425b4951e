// Format 2 of docs/code-format.md: a share code made on the phone, with no network.
// Pure functions (no DOM, no storage), so the same file runs in the browser and under
// node, where tests/web/test_share_code_js.py checks it against tests/vectors/offline.
//
//   head = 0x02 ‖ kid[1] ‖ parent[16] ‖ pid[8] ‖ counter[4]         30 bytes
//   tag  = HMAC-SHA-256(share key, "rc/S" ‖ head)[0..8]
//   text = PREFIX ‖ BASE32(head ‖ tag)     PREFIX = "SCHEME://HOST/S/", 61 characters
//
// The share key is a non-extractable WebCrypto key: this file signs with it and never
// sees its bytes (importShareKey is the one moment they pass through, once).

export const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ENC = new TextEncoder();
const CODE_URL = /^(https?):\/\/([^/?#\s]+)\/([cs])\/([a-z2-7]+)\/?$/i;

export class ShareCodeError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

export function base32Encode(bytes) {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1; // keep only the bits not written yet
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text) {
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new ShareCodeError("malformed", "not base32");
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return new Uint8Array(out);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  if (!/^([0-9a-f]{2})*$/i.test(text)) throw new ShareCodeError("malformed", "not hex");
  return new Uint8Array(text.match(/../g)?.map((h) => parseInt(h, 16)) || []);
}

export function fromBase64url(text) {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// The id of a format-2 code: it carries none, so it is derived from its head.
export async function shareCodeId(head, subtle = crypto.subtle) {
  const digest = await subtle.digest("SHA-256", concat(ENC.encode("rc/S/id"), head));
  return new Uint8Array(digest).slice(0, 16);
}

// The parent reference inside a child: the parent's 16-byte code id. A format-1 code
// (/C/) carries it; a phone-made one (/S/) has it derived. The phone cannot check a
// parent's tag (it has no keyring): the server refuses a child of a made-up parent.
export async function parentRef(text, subtle = crypto.subtle) {
  const m = CODE_URL.exec(String(text).trim());
  if (!m) throw new ShareCodeError("not_a_code", "not a code of ours");
  const path = m[3].toUpperCase();
  const body = m[4].toUpperCase();
  if (path === "C" && body.length === 42) {
    const raw = base32Decode(body);
    if (raw[0] === 1) return raw.slice(2, 18);
  } else if (path === "S" && body.length === 61) {
    const raw = base32Decode(body);
    if (raw[0] === 2) return shareCodeId(raw.slice(0, 30), subtle);
  }
  throw new ShareCodeError("malformed", "not a code this page can share");
}

export function shareHead(kid, parent, pid, counter) {
  if (!(kid >= 1 && kid <= 255) || parent.length !== 16 || pid.length !== 8) {
    throw new ShareCodeError("bad_key", "share key record is not usable");
  }
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) {
    throw new ShareCodeError("bad_counter", "counter out of range");
  }
  const head = new Uint8Array(30);
  head[0] = 2;
  head[1] = kid;
  head.set(parent, 2);
  head.set(pid, 18);
  new DataView(head.buffer).setUint32(26, counter, false);
  return head;
}

// The share key as a WebCrypto HMAC key that cannot be exported again.
export function importShareKey(raw, subtle = crypto.subtle) {
  return subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

// A child of `parentText` under the device's share key: {code, url, id, parent}.
// `share` is {kid, key (CryptoKey), pid (hex), prefix ("SCHEME://HOST/S/")}.
export async function makeShareCode(share, parentText, counter, subtle = crypto.subtle) {
  const parent = await parentRef(parentText, subtle);
  const head = shareHead(share.kid, parent, fromHex(share.pid), counter);
  const mac = await subtle.sign("HMAC", share.key, concat(ENC.encode("rc/S"), head));
  const body = base32Encode(concat(head, new Uint8Array(mac).slice(0, 8)));
  const prefix = share.prefix.toUpperCase();
  const code = prefix + body;
  // The link as browsers write one: scheme and host in lower case (the token is not).
  const url = prefix.slice(0, -3).toLowerCase() + "/S/" + body;
  return { code, url, id: hex(await shareCodeId(head, subtle)), parent: hex(parent) };
}

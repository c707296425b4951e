// Offline check of a signed credential (format 3 of docs/code-format.md) in the browser:
// the trust list of GET /api/v1/trust-list, WebCrypto Ed25519 and a tiny CBOR reader.
// Pure functions (no DOM), checked under node against tests/vectors/credentials.
//
//   verifySigned(text, trustLists, issuer, nowSeconds) → claims, or throws
//   CredentialError with .code one of malformed, unknown_key, bad_signature,
//   wrong_issuer, expired, not_yet_valid.
//   verifyRotating(text, ...) → the same for format 4 (CR4: / /P/): the credential inside
//   first (all the reasons above), then stale_presentation and bad_proof.
//   verifyPresented(text, ...) → either, by the text's form; claims.form says which.

import { base32Decode, base45Decode, credentialBytes, proofMessage } from "./presentation.js";

const SKEW = 60;
const MAX_TEXT = 1200;
const MAX_SIGNED = 256;
const PRIVATE = -65537;

export class CredentialError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

const bad = (message) => new CredentialError("malformed", message);

// Definite-length CBOR in its shortest form only (what the issuer writes); else malformed.
function reader(bytes) {
  let at = 0;
  const byte = () => {
    if (at >= bytes.length) throw bad("truncated CBOR");
    return bytes[at++];
  };
  const argument = (info) => {
    if (info < 24) return info;
    const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
    if (!size) throw bad("indefinite or reserved CBOR");
    let n = 0;
    for (let i = 0; i < size; i++) n = n * 256 + byte();
    const least = { 1: 24, 2: 0x100, 4: 0x10000, 8: 0x100000000 }[size];
    if (n < least || n > Number.MAX_SAFE_INTEGER) throw bad("non-shortest CBOR");
    return n;
  };
  const item = (depth) => {
    if (depth > 8) throw bad("CBOR nested too deep");
    const first = byte();
    const major = first >> 5;
    const n = argument(first & 31);
    switch (major) {
      case 0: return n;
      case 1: return -1 - n;
      case 2:
      case 3: {
        if (at + n > bytes.length) throw bad("truncated CBOR");
        const slice = bytes.slice(at, at + n);
        at += n;
        return major === 2 ? slice : new TextDecoder("utf-8", { fatal: true }).decode(slice);
      }
      case 4: return Array.from({ length: n }, () => item(depth + 1));
      case 5: {
        const map = new Map();
        for (let i = 0; i < n; i++) map.set(item(depth + 1), item(depth + 1));
        return map;
      }
      case 6: return { tag: n, value: item(depth + 1) };
      default: throw bad("unsupported CBOR");
    }
  };
  return {
    whole() {
      const value = item(0);
      if (at !== bytes.length) throw bad("bytes after the CBOR item");
      return value;
    },
  };
}

const decode = (bytes) => reader(bytes).whole();

function head(major, n) {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function sigStructure(protectedBytes, payload) {
  const label = new TextEncoder().encode("Signature1");
  return new Uint8Array([
    ...head(4, 4), ...head(3, label.length), ...label,
    ...head(2, protectedBytes.length), ...protectedBytes,
    ...head(2, 0),
    ...head(2, payload.length), ...payload,
  ]);
}

function unb64(text) {
  const b = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

function epoch(iso) {
  return iso == null ? null : Date.parse(iso) / 1000;
}

function findKey(kid, trustLists) {
  for (const list of trustLists) {
    for (const key of list.keys || []) {
      if (key.kid === kid && key.kty === "OKP" && key.crv === "Ed25519") {
        return { ...key, issuer: list.issuer, hosts: list.hosts || [] };
      }
    }
  }
  return null;
}

const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const u32 = (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32;

function claimsOf(cwt) {
  const priv = cwt instanceof Map ? cwt.get(PRIVATE) : null;
  const cti = cwt instanceof Map ? cwt.get(7) : null;
  if (!(priv instanceof Map) || !(cti instanceof Uint8Array) || cti.length !== 16) {
    throw bad("not a credential of ours");
  }
  const c = {
    credential_id: hex(cti), expires_at: cwt.get(4), not_before: cwt.get(5) ?? null,
    merchant: priv.get(1), template: priv.get(2), kind: priv.get(3), generation: priv.get(4),
    holder: priv.get(5), value: priv.get(6) ?? null, device_thumbprint: priv.get(7) ?? null,
  };
  const small = (v) => Number.isInteger(v) && v >= 0 && v <= 255;
  if (![c.expires_at, c.merchant, c.template].every(u32) || !small(c.kind) ||
      !small(c.generation) || (c.not_before !== null && !u32(c.not_before)) ||
      (c.value !== null && !u32(c.value)) ||
      !(c.holder instanceof Uint8Array && c.holder.length === 8) ||
      (c.device_thumbprint !== null &&
        !(c.device_thumbprint instanceof Uint8Array && c.device_thumbprint.length === 12))) {
    throw bad("a claim is out of range");
  }
  c.holder = hex(c.holder);
  c.device_thumbprint = c.device_thumbprint && hex(c.device_thumbprint);
  return c;
}

export async function verifySigned(text, trustLists, issuer, nowSeconds = Date.now() / 1000) {
  if (typeof text !== "string" || text.length > MAX_TEXT) throw bad("too long");
  const lists = Array.isArray(trustLists) ? trustLists : [trustLists];
  const trimmed = text.trim();
  const link = trimmed.match(/^https?:\/\/([^/?#\s]+)\/v\//i);
  let raw;
  try {
    raw = trimmed.slice(0, 4).toUpperCase() === "CR1:"
      ? base45Decode(trimmed.slice(4)) : credentialBytes(trimmed);
  } catch {
    throw bad("not a signed credential");
  }
  if (link && !lists.some((l) => (l.hosts || []).includes(link[1].toUpperCase()))) {
    throw new CredentialError("wrong_issuer", "a link on another site");
  }
  return checkSigned(raw, lists, issuer, nowSeconds);
}

async function checkSigned(raw, lists, issuer, nowSeconds) {
  if (raw.length === 0 || raw.length > MAX_SIGNED) throw bad("wrong size");
  const sign1 = decode(raw);
  if (!sign1 || sign1.tag !== 18 || !Array.isArray(sign1.value) || sign1.value.length !== 4) {
    throw bad("not a COSE_Sign1");
  }
  const [protectedBytes, unprotected, payload, signature] = sign1.value;
  if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array) ||
      !(signature instanceof Uint8Array) || !(unprotected instanceof Map) || unprotected.size) {
    throw bad("not a COSE_Sign1 of ours");
  }
  const header = decode(protectedBytes);
  if (!(header instanceof Map) || header.size !== 2 || header.get(1) !== -8 ||
      !(header.get(4) instanceof Uint8Array)) {
    throw bad("the protected header is not {EdDSA, kid}");
  }
  const kid = new TextDecoder("utf-8", { fatal: true }).decode(header.get(4));
  const key = findKey(kid, lists);
  const nb = key && epoch(key.not_before);
  const na = key && epoch(key.not_after);
  if (!key || (nb !== null && nb > nowSeconds + SKEW) || (na !== null && nowSeconds - SKEW > na)) {
    throw new CredentialError("unknown_key", `no trusted key ${kid}`);
  }
  const publicKey = await crypto.subtle.importKey(
    "raw", unb64(key.x), { name: "Ed25519" }, false, ["verify"],
  );
  const ok = signature.length === 64 && await crypto.subtle.verify(
    { name: "Ed25519" }, publicKey, signature, sigStructure(protectedBytes, payload),
  );
  if (!ok) throw new CredentialError("bad_signature", "the signature does not verify");
  if (key.issuer !== issuer) throw new CredentialError("wrong_issuer", `signed for ${key.issuer}`);
  const claims = claimsOf(decode(payload));
  if (nowSeconds >= claims.expires_at + SKEW) throw new CredentialError("expired", "expired");
  if (claims.not_before !== null && nowSeconds + SKEW < claims.not_before) {
    throw new CredentialError("not_yet_valid", "not valid yet");
  }
  return { ...claims, kid, issuer: key.issuer };
}

const WINDOW = 30;
const WINDOW_SLACK = 1;
const LOW = 65536;
const ROTATING_LINK = /^https?:\/\/([^/?#\s]+)\/p\/([a-z2-7]+)\/?$/i;

// The window with these low 16 bits nearest to the window of nowSeconds.
function resolveWindow(low, nowSeconds) {
  const current = Math.floor(nowSeconds / WINDOW);
  let delta = (((low - current) % LOW) + LOW) % LOW;
  if (delta >= LOW / 2) delta -= LOW;
  return current + delta;
}

// RFC 9679 thumbprint of a raw Ed25519 key, first 12 bytes: SHA-256 of the deterministic
// CBOR {1: 1, -1: 6, -2: x} (a3 01 01 20 06 21 58 20 ‖ x).
async function thumbprint(x) {
  const cose = new Uint8Array([0xa3, 0x01, 0x01, 0x20, 0x06, 0x21, 0x58, 0x20, ...x]);
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", cose)).slice(0, 12));
}

export async function verifyRotating(text, trustLists, issuer, nowSeconds = Date.now() / 1000) {
  if (typeof text !== "string" || text.length > MAX_TEXT) throw bad("too long");
  const lists = Array.isArray(trustLists) ? trustLists : [trustLists];
  const trimmed = text.trim();
  const link = trimmed.match(ROTATING_LINK);
  let raw;
  try {
    if (trimmed.slice(0, 4).toUpperCase() === "CR4:") raw = base45Decode(trimmed.slice(4));
    else if (link) raw = base32Decode(link[2]);
    else throw bad("not a rotating presentation");
  } catch {
    throw bad("not a rotating presentation");
  }
  if (link && !lists.some((l) => (l.hosts || []).includes(link[1].toUpperCase()))) {
    throw new CredentialError("wrong_issuer", "a link on another site");
  }
  if (raw.length === 0 || raw.length > 2 * MAX_SIGNED) throw bad("wrong size");
  const parts = decode(raw);
  if (!Array.isArray(parts) || parts.length !== 4) {
    throw bad("the presentation is not a four-item CBOR array");
  }
  const [credential, low, deviceKey, proof] = parts;
  if (!(credential instanceof Uint8Array) || !(deviceKey instanceof Uint8Array) ||
      !(proof instanceof Uint8Array) || !Number.isInteger(low) || low < 0 || low >= LOW ||
      deviceKey.length !== 32 || proof.length !== 64) {
    throw bad("the presentation's parts have the wrong types");
  }
  const claims = await checkSigned(credential, lists, issuer, nowSeconds);
  const window = resolveWindow(low, nowSeconds);
  if (Math.abs(window - Math.floor(nowSeconds / WINDOW)) > WINDOW_SLACK) {
    throw new CredentialError("stale_presentation", "from another time: ask for a fresh one");
  }
  if (claims.device_thumbprint === null) {
    throw new CredentialError("bad_proof", "the credential is bound to no device");
  }
  if (await thumbprint(deviceKey) !== claims.device_thumbprint) {
    throw new CredentialError("bad_proof", "presented by another device than its holder's");
  }
  let ok = false;
  try {
    const key = await crypto.subtle.importKey("raw", deviceKey, { name: "Ed25519" }, false,
      ["verify"]);
    ok = await crypto.subtle.verify({ name: "Ed25519" }, key, proof,
      await proofMessage(credential, window));
  } catch {
    ok = false;
  }
  if (!ok) throw new CredentialError("bad_proof", "the device's proof does not verify");
  return { ...claims, window };
}

// Whichever form the text is in: format 4 (CR4:, /P/) or format 3 (CR1:, /V/).
export async function verifyPresented(text, trustLists, issuer, nowSeconds = Date.now() / 1000) {
  const t = typeof text === "string" ? text.trim() : "";
  if (t.slice(0, 4).toUpperCase() === "CR4:" || ROTATING_LINK.test(t)) {
    return { ...(await verifyRotating(t, trustLists, issuer, nowSeconds)), form: "rotating" };
  }
  return { ...(await verifySigned(t, trustLists, issuer, nowSeconds)), form: "signed" };
}

// Is this text a form this module can check offline (else it needs the server)?
export function isOfflineForm(text) {
  const t = typeof text === "string" ? text.trim() : "";
  return /^CR[14]:/i.test(t) || /^https?:\/\/[^/?#\s]+\/[vp]\/[a-z2-7]+\/?$/i.test(t);
}

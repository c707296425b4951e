// Format 4 of docs/code-format.md: the rotating presentation the holder's phone shows,
// remade every 30 seconds, so a screenshot is worthless a minute later. Pure functions
// (no DOM, no storage): the same file runs in the browser and under node, where
// tests/web/test_presentation_js.py checks it against tests/vectors/credentials.
//
//   window       = floor(unix seconds / 30)
//   proof        = Ed25519(device key, "rc/P" ‖ SHA-256(credential) ‖ u32(window))
//   presentation = CBOR [credential, window mod 65536, device public key (32), proof (64)]
//   text         = "CR4:" ‖ BASE45(presentation)
//
// The device key is the WebCrypto Ed25519 pair of static/device-key.js: its private half
// is non-extractable and signs here without this file ever seeing it.

export const WINDOW_SECONDS = 30;
const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DOMAIN = new TextEncoder().encode("rc/P");
const SIGNED_LINK = /^https?:\/\/[^/?#\s]+\/v\/([a-z2-7]+)\/?$/i;

export class PresentationError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

export function base45Encode(bytes) {
  let out = "";
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const n = bytes[i] * 256 + bytes[i + 1];
    out += B45[n % 45] + B45[Math.floor(n / 45) % 45] + B45[Math.floor(n / 2025)];
  }
  if (bytes.length % 2) {
    const n = bytes[bytes.length - 1];
    out += B45[n % 45] + B45[Math.floor(n / 45)];
  }
  return out;
}

export function base45Decode(text) {
  if (text.length % 3 === 1) throw new PresentationError("malformed", "not base45");
  const out = [];
  for (let i = 0; i < text.length; i += 3) {
    const digits = [...text.slice(i, i + 3)].map((c) => B45.indexOf(c));
    if (digits.includes(-1)) throw new PresentationError("malformed", "not base45");
    const n = digits.reduce((sum, d, k) => sum + d * 45 ** k, 0);
    if (digits.length === 3) {
      if (n > 0xffff) throw new PresentationError("malformed", "not base45");
      out.push(n >> 8, n & 0xff);
    } else {
      if (n > 0xff) throw new PresentationError("malformed", "not base45");
      out.push(n);
    }
  }
  return new Uint8Array(out);
}

export function base32Decode(text) {
  const out = [];
  let bits = 0;
  let value = 0;
  for (const c of text.toUpperCase()) {
    const d = B32.indexOf(c);
    if (d < 0) throw new PresentationError("malformed", "not base32");
    value = ((value << 5) | d) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  // One spelling: no dangling character, and the unused bits of the last one are zero.
  if (bits >= 5 || (value & ((1 << bits) - 1)) !== 0) {
    throw new PresentationError("malformed", "not canonical base32");
  }
  return new Uint8Array(out);
}

// The signed credential (format 3) as bytes: from its bytes, its "CR1:" text or its /V/ link.
export function credentialBytes(credential) {
  if (credential instanceof Uint8Array) return credential;
  const text = String(credential).trim();
  if (text.slice(0, 4).toUpperCase() === "CR1:") return base45Decode(text.slice(4));
  const link = text.match(SIGNED_LINK);
  if (link) return base32Decode(link[1]);
  throw new PresentationError("malformed", "not a signed credential");
}

// A CBOR head (RFC 8949 §3): major type and argument, in the shortest form.
function head(major, n) {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function bstr(bytes) {
  return [...head(2, bytes.length), ...bytes];
}

export function windowAt(nowSeconds) {
  return Math.floor(nowSeconds / WINDOW_SECONDS);
}

export async function proofMessage(credential, window) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", credential));
  const message = new Uint8Array(DOMAIN.length + 32 + 4);
  message.set(DOMAIN, 0);
  message.set(digest, DOMAIN.length);
  new DataView(message.buffer).setUint32(DOMAIN.length + 32, window);
  return message;
}

// The "CR4:" text for the window of nowSeconds (default: this device's clock).
// deviceKey: { privateKey, publicKey } (a CryptoKeyPair), Ed25519.
export async function makePresentation(credential, deviceKey, nowSeconds = Date.now() / 1000) {
  const raw = credentialBytes(credential);
  const window = windowAt(nowSeconds);
  const message = await proofMessage(raw, window);
  const proof = new Uint8Array(
    await crypto.subtle.sign({ name: "Ed25519" }, deviceKey.privateKey, message),
  );
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", deviceKey.publicKey));
  const bytes = new Uint8Array([
    ...head(4, 4),
    ...bstr(raw),
    ...head(0, window % 65536),
    ...bstr(publicKey),
    ...bstr(proof),
  ]);
  return { text: "CR4:" + base45Encode(bytes), window, refreshIn: secondsLeft(nowSeconds) };
}

// Seconds until the next window: when the page should redraw the code.
export function secondsLeft(nowSeconds) {
  return WINDOW_SECONDS - (nowSeconds % WINDOW_SECONDS);
}

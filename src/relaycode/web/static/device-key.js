// Give this browser a device key: an Ed25519 key pair made by WebCrypto, whose private
// half cannot be exported and stays in this browser's IndexedDB. The server keeps the
// public half on the device record; later, rotating presentation codes are signed with it
// (a screenshot of a code is then worthless on another phone). Optional: browsers
// without Ed25519 simply skip it.

const DB = "relaycode";
const STORE = "keys";
const NAME = "device";

function openStore() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function request(db, mode, action) {
  return new Promise((resolve, reject) => {
    const req = action(db.transaction(STORE, mode).objectStore(STORE));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function base64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function csrfToken() {
  // "__Host-rc_csrf" on an HTTPS site (Secure cookies), "rc_csrf" otherwise.
  const match = document.cookie.match(/(?:^|; )(?:__Host-)?rc_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function deviceKeyPair() {
  const db = await openStore();
  let pair = await request(db, "readonly", (s) => s.get(NAME));
  if (!pair) {
    pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    await request(db, "readwrite", (s) => s.put(pair, NAME));
  }
  return pair;
}

// The pair this browser already keeps, if any (never makes one): for pages that sign
// with it (static/credential-show.js). null without Ed25519, IndexedDB or a key.
export async function storedDeviceKey() {
  if (!window.isSecureContext || !crypto.subtle) return null;
  try {
    const db = await openStore();
    return (await request(db, "readonly", (s) => s.get(NAME))) || null;
  } catch {
    return null;
  }
}

export function publicKeyText(raw) {
  return base64url(raw);
}

export async function registerDeviceKey() {
  if (!window.isSecureContext || !crypto.subtle) return "unsupported";
  let pair;
  try {
    pair = await deviceKeyPair();
  } catch {
    return "unsupported"; // no Ed25519 in this browser, or no IndexedDB (private mode)
  }
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  const response = await fetch("/api/v1/me/device/public-key", {
    method: "PUT",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify({ public_key: base64url(raw) }),
  });
  return response.ok ? "registered" : "failed";
}

const marker = document.querySelector('meta[name="rc-device-key"]');
if (marker && marker.content === "missing") {
  registerDeviceKey().then((state) => {
    document.documentElement.dataset.deviceKey = state;
    const note = document.querySelector("[data-device-key-note]");
    if (note && state === "registered") note.hidden = false;
  });
}

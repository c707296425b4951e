// Sharing with no network (claim 5): window.rcOfflineShare.make(parentText), the hook
// share.js calls when it cannot reach the server, makes the child code on this phone.
//
// While online, this page asks once for the device's share key
// (POST /api/v1/me/device/share-key) and keeps it in IndexedDB as a WebCrypto HMAC key
// that cannot be exported (CryptoKey objects are stored as they are); the key text is
// not kept anywhere. The share button's data-device-pid says which device this
// browser's session is on: a key for another device (another account signed in here, or
// a key rotation) is replaced. The page also registers the service worker (/sw.js) that
// keeps the share tool and "my codes" usable offline.
//
// Codes made here are remembered (per device and parent: sharing the same code again
// shows the same child, as the server does online) and listed on /me/codes.

import { importShareKey, fromBase64url, makeShareCode, ShareCodeError } from "./share-code.js";
import { qrcode } from "./vendor/qrcode-generator.js";
import { keepOffline } from "./keep-offline.js";

const DB = "relaycode-offline";
const KEYS = "keys";
const MADE = "made";

function openStore() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(KEYS);
      req.result.createObjectStore(MADE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function request(db, store, mode, action) {
  return new Promise((resolve, reject) => {
    const req = action(db.transaction(store, mode).objectStore(store));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )(?:__Host-)?rc_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function fetchKey(db) {
  const response = await fetch("/api/v1/me/device/share-key", {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken() },
  });
  if (!response.ok) throw new ShareCodeError("no_key", `share key: ${response.status}`);
  const body = await response.json();
  const record = {
    kid: body.kid,
    key: await importShareKey(fromBase64url(body.key)),
    pid: body.device_pid,
    prefix: body.prefix,
    counter: 0,
  };
  await request(db, KEYS, "readwrite", (s) => s.put(record, record.pid));
  return record;
}

// The record for this page's device; fetched when missing and the network is there.
async function shareKey(pid) {
  const db = await openStore();
  const record = await request(db, KEYS, "readonly", (s) => s.get(pid));
  if (record) return record;
  if (navigator.onLine === false) throw new ShareCodeError("no_key", "offline, no share key yet");
  return fetchKey(db);
}

function picture(text) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Alphanumeric"); // upper case throughout: QR alphanumeric mode
  qr.make();
  return { image_url: qr.createDataURL(6, 4), qr_version: (qr.getModuleCount() - 17) / 4 };
}

async function make(parentText, pid) {
  const record = await shareKey(pid);
  const db = await openStore();
  const memo = `${pid}|${String(parentText).trim().toUpperCase()}`;
  const made = await request(db, MADE, "readonly", (s) => s.get(memo));
  if (made) return { ...made, ...picture(made.code) };
  // The counter tells apart children of one parent from one device; it is never reused
  // here, and a counter replayed by a wiped browser only remakes the same code.
  record.counter = (record.counter || 0) + 1;
  await request(db, KEYS, "readwrite", (s) => s.put(record, record.pid));
  const child = await makeShareCode(record, parentText, record.counter);
  const title = document.querySelector("[data-share-panel]")?.dataset.shareTitle || "";
  const entry = { ...child, pid, title, made_at: new Date().toISOString() };
  await request(db, MADE, "readwrite", (s) => s.put(entry, memo));
  return { ...entry, ...picture(child.code) };
}

function pageDevice() {
  const marked = document.querySelector("[data-device-pid]");
  return marked ? marked.dataset.devicePid : "";
}

// (A hook already installed, by a test or an embedding app, is left in place.)
window.rcOfflineShare ??= {
  async make(parentText) {
    const pid = pageDevice();
    if (!pid) throw new ShareCodeError("no_key", "this page has no device");
    return make(parentText, pid);
  },
};

// A page the service worker served from its copy says so.
function noteSaved() {
  const marked = document.querySelector("[data-saved-note]");
  const main = document.querySelector("main");
  if (!marked || !main || navigator.onLine !== false) return;
  const note = document.createElement("p");
  note.className = "alert alert-warn";
  note.setAttribute("role", "status");
  note.dataset.offlineSaved = "";
  note.textContent = marked.dataset.savedNote;
  main.prepend(note);
}

// "My codes": the children made on this phone, from IndexedDB (they are the server's
// only once resolved).
async function listMade(section, pid) {
  const db = await openStore();
  // Those the server already lists (registered since) are not shown twice.
  const entries = (await request(db, MADE, "readonly", (s) => s.getAll())).filter(
    (e) => e.pid === pid && !document.querySelector(`[data-share-id="${e.id}"]`),
  );
  const list = section.querySelector("[data-offline-list]");
  for (const entry of entries.sort((a, b) => (a.made_at < b.made_at ? 1 : -1))) {
    const item = document.createElement("li");
    item.className = "code-card";
    item.dataset.offlineCode = entry.code;
    const img = document.createElement("img");
    img.src = picture(entry.code).image_url;
    img.alt = entry.title;
    img.width = 160;
    img.height = 160;
    const info = document.createElement("div");
    info.className = "code-info";
    const title = document.createElement("h3");
    const link = document.createElement("a");
    link.href = entry.url;
    link.textContent = entry.title || entry.code;
    title.append(link);
    const text = document.createElement("p");
    text.className = "mono share-code";
    text.textContent = entry.code;
    info.append(title, text);
    item.append(img, info);
    list.append(item);
  }
  section.querySelector("[data-offline-empty]").hidden = entries.length > 0;
  section.hidden = false;
}

async function start() {
  noteSaved();
  const root = document.documentElement;
  const pid = pageDevice();
  if (!pid || !window.isSecureContext || !crypto.subtle || !window.indexedDB) {
    root.dataset.offlineShare = "unsupported";
    return;
  }
  try {
    await shareKey(pid);
    root.dataset.offlineShare = "ready";
  } catch {
    root.dataset.offlineShare = "no-key";
  }
  const section = document.querySelector("[data-offline-made]");
  if (section) await listMade(section, pid).catch(() => {});
  const here = location.pathname + location.search;
  const kept = navigator.onLine !== false && (await keepOffline([here, "/me/codes"]));
  root.dataset.offlineKept = kept ? "yes" : "no";
}

start();

// The verifier station (Figs. 7, 8, 11): scan.js (data-emit) hands over each code's text;
// this module asks the server for a verdict, or with no network checks the signed forms
// itself (credential-verify.js, the trust list and revocation list kept in localStorage),
// shows the verdict full screen, redeems with a fresh nonce (the same nonce on a retry),
// and queues offline redemptions until POST /api/v1/redemptions/offline takes them.
//
// Tests read #verdict's data-verdict (valid | invalid | redeemed | queued) and
// data-reason, #verdict-pair's data-pair, and #station's data-net (online | offline).

import { isOfflineForm, verifyPresented } from "./credential-verify.js";
import { keepOffline } from "./keep-offline.js";

const root = document.getElementById("station");
const scanner = document.getElementById("scanner");
const words = JSON.parse(document.getElementById("station-words").textContent || "{}");
const $ = (id) => document.getElementById(id);
const merchantId = Number(root.dataset.merchantId);
const STORE = `rc-station:${merchantId}`;
const STATION_KEY = "rc-station-id";
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const RETRIES = 3; // a redeem that gets no answer is sent again, same nonce, this often
const REVOCATION_PAGES = 50; // at most this many `more: true` pages per sync
const SYNC_MS = 5 * 60 * 1000;

let mode = "single";
let itemText = null; // pair mode: the paper bill's code
let pairCredential = null; // pair mode: the phone's signed code, when it came first
let current = null; // { text, offline, cti, balance }
let busy = false;

const say = (key, values = {}) =>
  (words[key] || key).replace(/\{(\w+)\}/g, (_m, k) => String(values[k] ?? ""));

// ---- storage -----------------------------------------------------------------------

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) || "null");
    if (saved && typeof saved === "object") return saved;
  } catch {
    // unreadable: start again
  }
  return {};
}

const store = { trust: null, etag: null, version: 0, revoked: [], updated: null, queue: [],
  used: [], ...load() };
const USED_KEPT = 2000; // the newest used-up credentials this station remembers

function save() {
  try {
    localStorage.setItem(STORE, JSON.stringify(store));
  } catch {
    // storage full or refused: the page still works while it is open
  }
}

// Each browser is a station of its own (the per-station offline cap counts per device, not
// per merchant): a random id made once and kept in localStorage, for every merchant here.
function ownStationId() {
  try {
    const kept = localStorage.getItem(STATION_KEY);
    if (kept && /^st-[a-z2-7]{12}$/.test(kept)) return kept;
  } catch {
    // storage refused: a fresh id for this page's life
  }
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const id = `st-${Array.from(bytes, (b) => BASE32[b & 31]).join("")}`;
  try {
    localStorage.setItem(STATION_KEY, id);
  } catch {
    // not kept: the next visit is another station
  }
  return id;
}

const stationId = ownStationId();
root.dataset.stationId = stationId;
$("station-id").textContent = stationId;

// ---- the network and the lists -------------------------------------------------------

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )(?:__Host-)?rc_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function api(path, body) {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json",
      "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
  });
}

async function errorOf(response) {
  try {
    const body = await response.json();
    const e = body && body.error;
    if (e) return (e.details && typeof e.details.reason === "string" && e.details.reason) || e.code;
  } catch {
    // not JSON
  }
  return `http_${response.status}`;
}

function showNet() {
  const online = navigator.onLine;
  root.dataset.net = online ? "online" : "offline";
  $("net-text").textContent = say(online ? "net.online" : "net.offline");
  $("station-lists").textContent = store.updated
    ? say("lists.updated", { when: new Date(store.updated).toLocaleString(document.documentElement.lang) })
    : say("lists.never");
  const queued = store.queue.length;
  $("station-queue").hidden = queued === 0;
  $("station-queue").textContent = say("queue.count", { n: queued });
}

async function syncLists() {
  if (!navigator.onLine) return;
  try {
    const headers = store.etag ? { "If-None-Match": store.etag } : {};
    const t = await fetch("/api/v1/trust-list", { headers, credentials: "same-origin" });
    if (t.status === 200) {
      store.trust = await t.json();
      store.etag = t.headers.get("ETag");
    }
    for (let page = 0; page < REVOCATION_PAGES; page++) {
      const r = await fetch(`/api/v1/revocations?since=${store.version}`);
      if (!r.ok) break;
      const delta = await r.json();
      if (delta.version < store.version) {
        // The server's list was reset: sync from 0 (docs/credentials.md).
        store.version = 0;
        store.revoked = [];
        continue;
      }
      const ids = new Set(store.revoked);
      for (const item of delta.revoked || []) ids.add(item.cti);
      store.revoked = [...ids];
      store.version = delta.version;
      if (!delta.more) break;
    }
    store.updated = new Date().toISOString();
    save();
    root.dataset.lists = "synced";
  } catch {
    // offline meanwhile: the lists we have stay
  }
  showNet();
}

async function upload() {
  if (!navigator.onLine || store.queue.length === 0) return;
  const sent = store.queue.slice(0, 500);
  const redemptions = sent.map(({ text, nonce, redeemed_at, amount }) =>
    amount ? { text, nonce, redeemed_at, amount } : { text, nonce, redeemed_at });
  let response;
  try {
    response = await api("/api/v1/redemptions/offline", { station: stationId, redemptions });
  } catch {
    return; // still offline: keep them
  }
  // 404: the server has no offline upload yet; anything else but 200: try later.
  if (response.status !== 200) return;
  const body = await response.json();
  const results = body.results || [];
  const done = new Set(results.map((r) => r.nonce));
  store.queue = store.queue.filter((q) => !done.has(q.nonce));
  save();
  root.dataset.uploaded = String(done.size);
  showUploaded(results);
  showNet();
}

// What the server made of an upload: the teller learns that a bill paid here offline
// clashed with a use elsewhere (the issuer settles it) or was refused, not just a count.
function showUploaded(results) {
  const outcome = (r) => (r.status === "duplicate" ? r.first || "accepted" : r.status);
  const conflicts = results.filter((r) => outcome(r) === "conflict").length;
  const refused = results.filter((r) => outcome(r) === "refused").length;
  const parts = [say("queue.uploaded", { n: results.length })];
  if (conflicts) parts.push(say("queue.conflicts", { n: conflicts }));
  if (refused) parts.push(say("queue.refused", { n: refused }));
  const line = $("station-uploaded");
  line.textContent = parts.join(" ");
  line.dataset.conflicts = String(conflicts);
  line.dataset.refused = String(refused);
  line.hidden = results.length === 0;
}

// ---- the verdict screen --------------------------------------------------------------

function reasonText(reason) {
  return words[`reason.${reason}`] ? say(`reason.${reason}`) : say("reason.other", { code: reason });
}

function detail(label, value) {
  if (value === null || value === undefined || value === "") return;
  const dt = document.createElement("dt");
  dt.textContent = say(label);
  const dd = document.createElement("dd");
  dd.textContent = String(value);
  $("verdict-details").append(dt, dd);
}

// A time as ISO 8601 text (a receipt's, a validity end) in the page's language, not the
// browser's: a Chinese page on an English phone still says 2026/12/4 16:42:13.
function when(value) {
  if (typeof value !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? value : date.toLocaleString(document.documentElement.lang || undefined);
}

// Money is integer minor units; the template says its currency and ISO 4217 exponent
// (CNY 2, JPY 0, KWD 3), which Intl's CLDR digits do not always match (IQD, HUF).
function money(minor, currency, exp) {
  if (minor === null || minor === undefined || typeof minor !== "number") return minor;
  if (!currency || exp === null || exp === undefined) return String(minor);
  const format = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    style: "currency", currency, minimumFractionDigits: exp, maximumFractionDigits: exp });
  return format.format(minor / 10 ** exp);
}

// "12.50" (or "12,50") in a currency with ``exp`` decimals -> 1250; null if it is not one.
function toMinor(text, exp) {
  const m = /^(\d{1,13})(?:[.,](\d+))?$/.exec(text.replace(/[\s\u00a0]/g, ""));
  if (!m || (m[2] || "").length > exp) return null;
  const minor = Number(m[1]) * 10 ** exp + Number((m[2] || "").padEnd(exp, "0") || 0);
  return Number.isSafeInteger(minor) && minor > 0 ? minor : null;
}

function show(verdict, reason, info = {}) {
  const v = $("verdict");
  v.hidden = false;
  v.dataset.verdict = verdict;
  v.dataset.reason = reason || "";
  v.dataset.mode = info.offline ? "offline" : "online";
  $("verdict-word").textContent = say(`verdict.${verdict}`);
  $("verdict-reason").textContent = reason ? reasonText(reason) : "";
  $("verdict-reason").hidden = !reason;
  $("verdict-offline").hidden = !info.offline;
  const holder = $("verdict-holder");
  holder.hidden = !info.holder;
  holder.textContent = info.holder ? say("detail.holder_line", { name: info.holder }) : "";
  const pair = $("verdict-pair");
  pair.hidden = !info.pair;
  pair.dataset.pair = info.pair || "";
  v.dataset.pair = info.pair || ""; // a bill that does not match is red, however valid
  pair.textContent = info.pair ? say(`pair.${info.pair}`) : "";
  $("verdict-details").replaceChildren();
  const c = info.credential;
  if (c) {
    const kind = c.template?.kind;
    // Receipts and vouchers are made in English: their built-in words in this language.
    const shown = (text) => words.builtin?.[kind]?.[text] ?? text;
    detail("detail.template", c.template && shown(c.template.name));
    detail("detail.status", words[`status.${c.status}`] ? say(`status.${c.status}`) : c.status);
    detail("detail.uses_left", c.uses_left);
    const cur = c.template?.currency || c.currency;
    const exp = c.template?.currency_exponent ?? (cur ? 2 : null);
    detail("detail.balance", money(c.balance_minor, cur, exp));
    detail("detail.valid_until", c.valid_until && when(c.valid_until));
    detail("detail.generation", c.generation);
    for (const [key, value] of Object.entries(c.fields || {})) {
      const field = (c.template?.fields || []).find((f) => f.key === key);
      const text = field?.type === "money" ? money(value, cur, exp) : when(value);
      if (typeof value !== "object") detail(field ? shown(field.label) : key, text);
    }
  } else if (info.claims) {
    detail("detail.credential", info.claims.credential_id.slice(0, 8));
    detail("detail.generation", info.claims.generation);
    detail("detail.valid_until", when(new Date(info.claims.expires_at * 1000).toISOString()));
  }
  const canRedeem = verdict === "valid" && !["no_match", "needs_network"].includes(info.pair);
  $("redeem").hidden = !canRedeem;
  $("redeem-amount-field").hidden = !(canRedeem && info.balance);
  $("redeem-amount").required = Boolean(canRedeem && info.balance);
  $("redeem-amount").value = "";
  $("redeem-amount").placeholder = info.currency || "";
  $("redeem-result").hidden = true;
  $("station-step").hidden = true;
  v.scrollIntoView({ block: "start" });
}

// ---- checking --------------------------------------------------------------------------

async function checkOnline(text) {
  const body = { text };
  if (itemText) body.item_text = itemText;
  const response = await api("/api/v1/verifications", body);
  if (!response.ok) return { verdict: "invalid", reason: await errorOf(response) };
  return response.json();
}

function queuedFor(cti) {
  return store.queue.some((q) => q.cti === cti && !q.amount);
}

// The lists carry revocations, not redemptions: a credential this station saw used up
// while online (paid out here, or refused as already redeemed) is kept, so that a second
// payout after the network drops is refused here too (docs/credentials.md).
function rememberUsed(cti) {
  if (!cti || store.used.includes(cti)) return;
  store.used = [...store.used, cti].slice(-USED_KEPT);
  save();
}

async function checkOffline(text) {
  if (!isOfflineForm(text)) return { verdict: "invalid", reason: "needs_network" };
  if (!store.trust) return { verdict: "invalid", reason: "unknown_key" };
  let claims;
  try {
    claims = await verifyPresented(text, [store.trust], store.trust.issuer, Date.now() / 1000);
  } catch (err) {
    return { verdict: "invalid", reason: err.code || "malformed" };
  }
  const cti = claims.credential_id;
  let reason = null;
  if (claims.merchant !== merchantId) reason = "wrong_merchant";
  else if (store.revoked.includes(cti)) reason = "revoked";
  // Redeemed here while offline (single use, or a count): the upload will tell for sure.
  else if (queuedFor(cti) || store.used.includes(cti)) reason = "already_redeemed";
  return { verdict: reason ? "invalid" : "valid", reason, claims };
}

// Pair mode takes the two codes in either order: a signed form (CR1:, CR4:, /V/) is the
// phone's; a reference code is the paper bill's unless the bill came first. Returns the
// credential's text once both are in, or null while one is still to come.
function pairUp(text) {
  if (text === itemText || text === pairCredential) {
    rescan(); // the camera still sees the code it just read
    return null;
  }
  if (itemText === null && !isOfflineForm(text)) {
    itemText = text;
    if (pairCredential === null) {
      step();
      rescan();
      return null;
    }
    return pairCredential;
  }
  if (itemText === null) {
    pairCredential = text;
    step();
    rescan();
    return null;
  }
  return text;
}

async function check(text) {
  if (busy) return;
  text = String(text || "").trim();
  if (!text) return;
  if (mode === "pair") {
    const paired = pairUp(text);
    if (paired === null) return;
    text = paired;
  }
  busy = true;
  $("verdict").hidden = false;
  $("verdict").dataset.verdict = "checking";
  $("verdict-word").textContent = say("verdict.checking");
  let result = null;
  let offline = !navigator.onLine;
  if (!offline) {
    try {
      result = await checkOnline(text);
    } catch {
      offline = true; // no answer: the network is gone whatever navigator.onLine says
    }
  }
  if (offline) result = await checkOffline(text);
  const c = result.credential || null;
  let pair = result.pair || null;
  if (mode === "pair" && offline) pair = "needs_network";
  const balance = c ? c.balance_minor !== null : false;
  const exp = c?.template?.currency_exponent ?? 2;
  const info = { offline, credential: c, claims: result.claims, holder: result.holder_name,
    pair, balance, currency: c?.template?.currency || c?.currency };
  current = { text, offline, cti: c ? c.id : result.claims?.credential_id, balance, exp, info };
  if (!offline && ["already_redeemed", "exhausted"].includes(result.reason)) rememberUsed(current.cti);
  show(result.verdict, result.reason, info);
  if (pair === "needs_network") $("verdict-pair").textContent = say("pair.needs_network");
  busy = false;
}

// ---- redeeming -------------------------------------------------------------------------

const pause = (ms) => new Promise((ok) => setTimeout(ok, ms));

function enqueue(entry) {
  store.queue.push(entry);
  save();
  showNet();
  $("verdict").dataset.verdict = "queued";
  $("verdict-word").textContent = say("verdict.queued");
  $("redeem").hidden = true;
}

// The verdict screen after a payout shows what is left, not what there was.
function redeemed(done) {
  const usedUp = done.uses_left === 0 || done.balance_minor === 0;
  if (usedUp) rememberUsed(done.credential_id || current.cti);
  const c = current.info.credential;
  if (!c) return;
  c.uses_left = done.uses_left;
  c.balance_minor = done.balance_minor;
  if (usedUp) c.status = "exhausted";
  show("valid", null, current.info);
}

async function redeem(event) {
  event.preventDefault();
  if (!current || busy) return;
  busy = true;
  const amountText = $("redeem-amount").value.trim();
  const amount = current.balance && amountText ? toMinor(amountText, current.exp) : null;
  if (current.balance && amountText && amount === null) {
    busy = false;
    $("redeem-amount").setCustomValidity(say("redeem.bad_amount"));
    $("redeem-amount").reportValidity();
    return;
  }
  const body = { text: current.text, nonce: crypto.randomUUID(), station: stationId };
  if (amount) body.amount = amount;
  const offlineEntry = { text: body.text, nonce: body.nonce, amount,
    redeemed_at: new Date().toISOString(), cti: current.cti };
  $("redeem-button").disabled = true;
  try {
    if (current.offline || !navigator.onLine) {
      if (isOfflineForm(current.text)) enqueue(offlineEntry);
      return;
    }
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      let response;
      try {
        response = await api("/api/v1/redemptions", body);
      } catch {
        if (attempt === RETRIES) break;
        const result = $("redeem-result");
        result.hidden = false;
        result.textContent = say("redeem.retrying");
        await pause(800 * (attempt + 1));
        continue;
      }
      if (response.status === 201) {
        redeemed(await response.json());
        $("verdict").dataset.verdict = "redeemed";
        $("verdict").dataset.reason = "";
        $("verdict-word").textContent = say("verdict.redeemed");
        $("redeem").hidden = true;
        $("redeem-result").hidden = true;
      } else {
        const reason = await errorOf(response);
        if (["already_redeemed", "exhausted"].includes(reason)) rememberUsed(current.cti);
        show("invalid", reason, { offline: false });
      }
      return;
    }
    // Never answered: the same nonce goes into the queue, so it counts at most once.
    if (isOfflineForm(current.text)) enqueue(offlineEntry);
  } finally {
    busy = false;
    $("redeem-button").disabled = false;
  }
}

// ---- modes and the next code -----------------------------------------------------------

function step() {
  const s = $("station-step");
  s.hidden = mode !== "pair";
  const first = pairCredential === null ? "pair.step_item" : "pair.step_item_after";
  s.textContent = say(itemText === null ? first : "pair.step_credential");
  s.dataset.step = itemText === null ? "item" : "credential";
  s.dataset.phone = pairCredential === null ? "" : "read"; // the phone's code came first
}

function rescan() {
  scanner.dispatchEvent(new CustomEvent("rc:rescan"));
}

function next() {
  $("verdict").hidden = true;
  $("verdict").dataset.verdict = "";
  $("verdict").dataset.reason = "";
  current = null;
  if (mode === "pair") itemText = pairCredential = null;
  step();
  $("paste-text").value = "";
  rescan();
}

scanner.addEventListener("rc:code", (event) => check(event.detail));
$("paste").addEventListener("submit", (event) => {
  event.preventDefault();
  check($("paste-text").value);
});
$("redeem").addEventListener("submit", redeem);
$("redeem-amount").addEventListener("input", () => $("redeem-amount").setCustomValidity(""));
$("next").addEventListener("click", next);
function setMode(wanted) {
  mode = wanted === "pair" ? "pair" : "single";
  root.dataset.mode = mode;
  itemText = pairCredential = null;
  // The mode is in the address (?mode=pair), so a counter that always pairs keeps it.
  const url = new URL(location.href);
  if (mode === "pair") url.searchParams.set("mode", "pair");
  else url.searchParams.delete("mode");
  history.replaceState(null, "", url);
}

for (const radio of document.querySelectorAll("input[name=station-mode]")) {
  radio.checked = radio.value === (new URLSearchParams(location.search).get("mode") || "single");
  radio.addEventListener("change", () => {
    setMode(radio.value);
    next();
  });
}
setMode(new URLSearchParams(location.search).get("mode"));
step();
window.addEventListener("online", async () => {
  showNet();
  await syncLists();
  await upload();
});
window.addEventListener("offline", showNet);
setInterval(() => syncLists().then(upload), SYNC_MS);

showNet();
syncLists().then(upload);
keepOffline([location.pathname]).then((kept) => {
  document.documentElement.dataset.offlineKept = kept ? "yes" : "no";
});

// The rotating form of a credential on the holder's page (docs/credentials.md, format 4):
// remade every 30-second window. With this browser's device key (static/device-key.js),
// when the credential is bound to it, the page signs each window itself from the signed
// credential (static/presentation.js), offline too; otherwise it asks the server for the
// window's text. A countdown says when the code changes.

import { makePresentation, secondsLeft, windowAt } from "./presentation.js";
import { publicKeyText, storedDeviceKey } from "./device-key.js";
import { qrcode } from "./vendor/qrcode-generator.js";

const box = document.querySelector('[data-form="rotating"][data-credential]');

function picture(text) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Alphanumeric"); // CR4: + base45 is all QR alphanumeric
  qr.make();
  return qr.createDataURL(5, 4);
}

async function presentation(id, form) {
  const url = `/api/v1/credentials/${encodeURIComponent(id)}/presentation?form=${form}`;
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`presentation ${response.status}`);
  return (await response.json()).text;
}

// This browser's key pair, if the signed credential is bound to it.
async function localKey(expected) {
  if (!expected) return null;
  const pair = await storedDeviceKey();
  if (!pair) return null;
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  return publicKeyText(raw) === expected.replace(/=+$/, "") ? pair : null;
}

async function start() {
  const id = box.dataset.credential;
  const textEl = box.querySelector("[data-code-text]");
  const qrEl = box.querySelector("[data-code-qr]");
  const countdown = box.querySelector("[data-countdown]");
  const madeBy = box.querySelector("[data-made-by]");
  let pair = null;
  let signed = null;
  try {
    pair = await localKey(box.dataset.deviceKey);
    if (pair) signed = await presentation(id, "signed");
  } catch {
    pair = null; // no key here, or the signed form is not to be had: the server makes it
  }
  let shownWindow = -1;

  async function draw() {
    const now = Date.now() / 1000;
    const window = windowAt(now);
    if (window !== shownWindow) {
      let text;
      if (pair && signed) {
        text = (await makePresentation(signed, pair, now)).text;
        madeBy.textContent = madeBy.dataset.local || "";
      } else {
        text = await presentation(id, "rotating");
      }
      textEl.textContent = text;
      qrEl.src = picture(text);
      shownWindow = window;
      box.dataset.window = String(window);
      box.dataset.madeBy = pair ? "device" : "server";
    }
    countdown.textContent = String(Math.ceil(secondsLeft(now)));
  }

  const tick = () => draw().catch(() => { countdown.textContent = "…"; });
  await tick();
  setInterval(tick, 1000);
}

if (box) start();

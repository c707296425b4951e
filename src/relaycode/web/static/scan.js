// The scanner (patent claim 7): the camera runs continuously and a code is captured as
// soon as it is sharp and decodes — no shutter button. BarcodeDetector where the browser
// has one; otherwise sharp frames are sent to /api/v1/decode. Then /api/v1/scan says
// what the text is (ours, foreign link, product number, plain text) and where to go.
//
// A page whose #scanner has data-emit (the verifier station) keeps the text itself: the
// scanner fires "rc:code" on #scanner with the text as detail, pauses with the camera
// still on, and looks again when the page fires "rc:rescan" on it.

const root = document.getElementById("scanner");
const video = document.getElementById("video");
const statusLine = document.getElementById("status");
const retry = document.getElementById("retry");
const photo = document.getElementById("photo");

const TICK_MS = 400; // how often a frame is looked at
const FORCE_MS = 3000; // send a frame at least this often, even if it looks soft
const MAX_SIDE = 800; // uploaded frames are downscaled to this
const SHARP_AT = 40; // Laplacian variance below this is "blurry" (0..255 grey levels)
const PROBE = 160; // side of the grey centre crop the sharpness is measured on
const MAX_PHOTO = 7 * 1024 * 1024;
const WANTED = ["qr_code", "micro_qr_code", "aztec", "data_matrix", "pdf417", "code_128",
  "ean_13", "ean_8", "upc_a", "upc_e"];

let stream = null;
let detector = null;
let timer = null;
let inFlight = false;
let finished = false;
let lastSent = 0;

const frame = document.createElement("canvas");
const probe = document.createElement("canvas");
probe.width = PROBE;
probe.height = PROBE;
const probeCtx = probe.getContext("2d", { willReadFrequently: true });

function message(name) {
  const key = "msg" + name.replace(/(^|-)([a-z])/g, (_m, _d, c) => c.toUpperCase());
  return root.dataset[key] || "";
}

function say(name, state) {
  statusLine.textContent = message(name);
  if (state) root.dataset.state = state;
}

// The API's error codes for an upload, and the message each gets (scan.html carries
// them translated). Any other code still says what it is, never "no code found".
const UPLOAD_ERRORS = {
  bad_image: "error-bad-image",
  unsupported_media_type: "error-bad-image",
  no_file: "error-bad-image",
  image_too_large: "error-image-too-large",
  too_large: "error-image-too-large",
  image_too_many_pixels: "error-image-too-many-pixels",
  unavailable: "error-busy",
  decode_busy: "error-busy",
  rate_limited: "error-rate-limited",
};

class UploadError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

function sayUploadError(code) {
  const name = UPLOAD_ERRORS[code];
  if (name) {
    say(name, "error");
  } else {
    statusLine.textContent = message("error-other").replace("{code}", code);
    root.dataset.state = "error";
  }
  root.dataset.error = code;
}

async function errorCode(response) {
  try {
    const body = await response.json();
    const code = body && body.error && body.error.code;
    if (typeof code === "string" && /^[a-z0-9_]{1,64}$/.test(code)) return code;
  } catch {
    // not JSON: a proxy's error page, say
  }
  return response.status === 413 ? "too_large" : `http_${response.status}`;
}

function csrfToken() {
  // "__Host-rc_csrf" on an HTTPS site (Secure cookies), "rc_csrf" otherwise.
  const match = document.cookie.match(/(?:^|; )(?:__Host-)?rc_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function localPath(value) {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") &&
    !value.startsWith("/\\");
}

function targetOf(result) {
  // The API always names a path of this site; anything else is refused.
  return localPath(result.target) ? result.target : "/scanned";
}

async function resolve(text) {
  if (finished) return;
  finished = true;
  stopLoop();
  say("found", "found");
  if (root.dataset.emit) {
    root.dispatchEvent(new CustomEvent("rc:code", { detail: text }));
    return;
  }
  try {
    const response = await fetch("/api/v1/scan", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": csrfToken(),
        "X-Relaycode-Source": "scanpage",
      },
      body: JSON.stringify({ text }),
    });
    if (!response.ok) throw new Error(`scan ${response.status}`);
    const result = await response.json();
    root.dataset.verdict = result.verdict;
    stopCamera();
    window.location.assign(targetOf(result));
  } catch {
    finished = false;
    say("network", "error");
    retry.hidden = false;
  }
}

async function decodeBlob(blob) {
  const response = await fetch("/api/v1/decode", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": blob.type || "application/octet-stream", "X-CSRF-Token": csrfToken() },
    body: blob,
  });
  if (!response.ok) throw new UploadError(await errorCode(response));
  const body = await response.json();
  const found = (body.barcodes || []).find((b) => b.text);
  return found ? found.text : null;
}

// With no network the server cannot read frames. Where the page allows it (the verifier
// station's data-local-decode) a QR decoder in the page (jsQR, vendored, precached by the
// service worker) reads them instead; online the server's decoder (every symbology) does.
const localDecoder = root.dataset.localDecode ? import("./vendor/jsQR.js") : null;

async function decodeLocally() {
  if (!localDecoder) return null;
  await localDecoder;
  const ctx = frame.getContext("2d", { willReadFrequently: true });
  const image = ctx.getImageData(0, 0, frame.width, frame.height);
  const found = self.jsQR(image.data, image.width, image.height);
  root.dataset.decodedBy = "page";
  return found && found.data ? found.data : null;
}

async function decodeFrame(blob) {
  if (localDecoder && !navigator.onLine) return decodeLocally();
  try {
    return blob ? await decodeBlob(blob) : null;
  } catch (err) {
    if (err instanceof UploadError || !localDecoder) throw err;
    return decodeLocally(); // no answer: the network is gone whatever navigator.onLine says
  }
}

function sharpness() {
  // Variance of a 4-neighbour Laplacian over a grey centre crop: cheap and a good
  // enough focus measure; a code in focus has many hard edges.
  const w = video.videoWidth;
  const h = video.videoHeight;
  const side = Math.min(w, h) * 0.6;
  probeCtx.drawImage(video, (w - side) / 2, (h - side) / 2, side, side, 0, 0, PROBE, PROBE);
  const px = probeCtx.getImageData(0, 0, PROBE, PROBE).data;
  const grey = new Float32Array(PROBE * PROBE);
  for (let i = 0; i < grey.length; i++) {
    grey[i] = 0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2];
  }
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < PROBE - 1; y++) {
    for (let x = 1; x < PROBE - 1; x++) {
      const i = y * PROBE + x;
      const lap = 4 * grey[i] - grey[i - 1] - grey[i + 1] - grey[i - PROBE] - grey[i + PROBE];
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

function grabFrame() {
  const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
  frame.width = Math.round(video.videoWidth * scale);
  frame.height = Math.round(video.videoHeight * scale);
  frame.getContext("2d").drawImage(video, 0, 0, frame.width, frame.height);
  return new Promise((ok) => frame.toBlob(ok, "image/jpeg", 0.8));
}

async function tick() {
  timer = null;
  if (finished || !stream || video.readyState < 2 || !video.videoWidth) {
    schedule();
    return;
  }
  if (inFlight) {
    schedule();
    return;
  }
  inFlight = true;
  try {
    if (detector) {
      let codes = [];
      try {
        codes = await detector.detect(video);
      } catch {
        // A detector that cannot read video frames: fall back to uploading them.
        detector = null;
        root.dataset.path = "upload";
      }
      if (codes.length) await resolve(codes[0].rawValue);
    } else {
      const score = sharpness();
      root.dataset.sharpness = score.toFixed(0);
      const now = performance.now();
      if (score < SHARP_AT && now - lastSent < FORCE_MS) {
        say("blurry", "scanning");
      } else {
        say("looking", "scanning");
        lastSent = now;
        const blob = await grabFrame();
        root.dataset.frames = String(Number(root.dataset.frames || 0) + 1);
        const text = await decodeFrame(blob);
        if (text) await resolve(text);
      }
    }
  } catch {
    // A failed frame is not worth a message; the next one will do.
  } finally {
    inFlight = false;
    schedule();
  }
}

function schedule() {
  if (!finished && stream && timer === null) timer = setTimeout(tick, TICK_MS);
}

function stopLoop() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
}

function stopCamera() {
  stopLoop();
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
}

async function pickDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    const usable = WANTED.filter((f) => formats.includes(f));
    return usable.includes("qr_code") ? new window.BarcodeDetector({ formats: usable }) : null;
  } catch {
    return null;
  }
}

async function startCamera() {
  retry.hidden = true;
  if (!window.isSecureContext) return fail("insecure");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return fail("no-camera");
  say("starting", "starting");
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (err) {
    const name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") return fail("denied");
    if (name === "NotFoundError" || name === "OverconstrainedError") return fail("no-camera");
    return fail("camera-error");
  }
  video.srcObject = stream;
  try {
    await video.play();
  } catch {
    // autoplay of a muted inline video is allowed; if not, frames still arrive
  }
  detector = await pickDetector();
  root.dataset.path = detector ? "detector" : "upload";
  say("looking", "scanning");
  schedule();
}

function fail(name) {
  stopCamera();
  say(name, "nocamera");
  retry.hidden = name === "insecure" || name === "no-camera";
}

async function fromPhoto(file) {
  say("photo-reading");
  let blob = file;
  const plain = ["image/jpeg", "image/png", "image/webp"].includes(file.type);
  if (!plain || file.size > MAX_PHOTO) {
    // HEIC or a huge photo: let the browser decode it and send a JPEG instead.
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, 2400 / Math.max(bitmap.width, bitmap.height));
      frame.width = Math.round(bitmap.width * scale);
      frame.height = Math.round(bitmap.height * scale);
      frame.getContext("2d").drawImage(bitmap, 0, 0, frame.width, frame.height);
      blob = await new Promise((ok) => frame.toBlob(ok, "image/jpeg", 0.9));
    } catch {
      blob = file;
    }
  }
  let text = null;
  try {
    text = await decodeBlob(blob);
  } catch (err) {
    // The server said why (not an image, too large, busy): show that, not "no code".
    if (err instanceof UploadError) sayUploadError(err.code);
    else say("network", "error");
    return;
  }
  if (text) await resolve(text);
  else say("photo-none");
}

retry.addEventListener("click", () => startCamera());
root.addEventListener("rc:rescan", () => {
  finished = false;
  if (stream) {
    say("looking", "scanning");
    schedule();
  }
});
photo.addEventListener("change", () => {
  const file = photo.files && photo.files[0];
  photo.value = "";
  if (file) fromPhoto(file);
});
document.addEventListener("visibilitychange", () => {
  if (document.hidden) stopCamera();
  else if (!finished && !stream && root.dataset.state === "scanning") startCamera();
});
window.addEventListener("pagehide", stopCamera);
// Coming back with the Back button restores this page from the cache: start again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    finished = false;
    startCamera();
  }
});

startCamera();

// The share button of offer and share pages (claim 1): pressing it asks the server for a
// child code carrying the reader (POST /api/v1/shares) and shows it as a QR picture, its
// text, "save image", "copy link" (app.js) and the system share sheet where there is one.
//
// Offline: when the request cannot reach the server (navigator.onLine is false, or fetch
// throws a TypeError) and the page has window.rcOfflineShare, the child is made on the
// phone instead: `await window.rcOfflineShare.make(parentCodeText)` resolves to
// {code, url} (and, optionally, image_url: a data: or blob: URL of its picture), shown
// the same way. The parent code's text is the button's data-parent-code.

const API = "/api/v1/shares";

function csrfToken() {
  // "__Host-rc_csrf" on an HTTPS site (Secure cookies), "rc_csrf" otherwise.
  const match = document.cookie.match(/(?:^|; )(?:__Host-)?rc_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

class NetworkDown extends Error {}

async function askServer(parent) {
  if (navigator.onLine === false) throw new NetworkDown("offline");
  let response;
  try {
    response = await fetch(API, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ code: parent, channel: "web" }),
    });
  } catch (error) {
    if (error instanceof TypeError) throw new NetworkDown(error.message);
    throw error;
  }
  if (response.ok) return response.json();
  let code = "error";
  try {
    code = (await response.json()).error.code;
  } catch {
    // not our JSON error (a proxy's page): keep the generic message
  }
  const failure = new Error(code);
  failure.status = response.status;
  failure.code = code;
  throw failure;
}

async function makeShare(parent) {
  try {
    return { ...(await askServer(parent)), offline: false };
  } catch (error) {
    const offline = window.rcOfflineShare;
    if (error instanceof NetworkDown && offline && typeof offline.make === "function") {
      return { ...(await offline.make(parent)), offline: true };
    }
    throw error;
  }
}

function show(panel, share) {
  const result = panel.querySelector("[data-share-result]");
  const picture = share.image_url || share.image_svg || "";
  const qr = panel.querySelector("[data-share-qr]");
  qr.hidden = !picture;
  if (picture) qr.src = picture;
  panel.querySelector("[data-code-text]").textContent = share.code;
  const link = share.url || share.code;
  panel.querySelector("[data-share-link]").value = link;
  const save = panel.querySelector("[data-share-save]");
  const png = share.image_png ? `${share.image_png}?download=1` : share.image_url;
  save.hidden = !png;
  if (png) save.href = png;
  panel.querySelector("[data-share-offline-note]").hidden = !share.offline;
  const mine = panel.querySelector("[data-share-mine]");
  if (mine && share.id) mine.href = `/me/codes#share-${share.id}`;
  const native = panel.querySelector("[data-share-native]");
  if (navigator.share) {
    native.hidden = false;
    native.onclick = () => {
      const data = { title: panel.dataset.shareTitle, text: panel.dataset.shareText, url: link };
      navigator.share(data).catch(() => {}); // the reader closed the sheet: nothing to do
    };
  }
  result.hidden = false;
  result.scrollIntoView({ block: "nearest" });
}

function messageFor(panel, error) {
  if (error instanceof NetworkDown) return panel.dataset.errorOffline;
  // A combining game: sharing adds one's attribute, and the reader has none yet.
  if (error.code === "no_attribute" && panel.dataset.errorNoAttribute) {
    return panel.dataset.errorNoAttribute;
  }
  if (error.code === "no_key") return panel.dataset.errorNoKey || panel.dataset.errorOffline;
  if (error.status === 410 || error.status === 409) return panel.dataset.errorGone;
  return panel.dataset.errorGeneric;
}

function wire() {
  const button = document.querySelector('button[data-action="share"][data-parent-code]');
  if (!button) return;
  const panel = button.closest("[data-share-panel]");
  const status = panel.querySelector("[data-share-status]");
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "";
    try {
      show(panel, await makeShare(button.dataset.parentCode));
    } catch (error) {
      if (error.status === 401) {
        // Signed out meanwhile: sign in and come back here to share.
        const back = `${location.pathname}${location.search}`;
        location.assign(`/login?next=${encodeURIComponent(back)}`);
        return;
      }
      status.textContent = messageFor(panel, error);
    } finally {
      button.disabled = false;
    }
  });
  // Back from signing in to share (the signed-out button leads there with share=1).
  const params = new URLSearchParams(location.search);
  if (params.get("share") === "1") {
    params.delete("share");
    const query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? `?${query}` : "") + location.hash);
    button.click();
  }
}

wire();

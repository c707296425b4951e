// Shared behaviour for every page: the time-zone cookie, copy buttons, confirmations.
// No inline scripts anywhere (the CSP forbids them); pages work without this file.

const TZ_COOKIE = "rc_tz";

function rememberTimeZone() {
  // Minutes west of UTC, like getTimezoneOffset(): the server shows times in it.
  const offset = String(new Date().getTimezoneOffset());
  const current = document.cookie.split("; ").find((c) => c.startsWith(TZ_COOKIE + "="));
  if (current !== `${TZ_COOKIE}=${offset}`) {
    document.cookie = `${TZ_COOKIE}=${offset}; path=/; max-age=31536000; samesite=lax`;
  }
}

function selectAndCopy(el) {
  // Fallback for browsers without the async clipboard (or outside a secure context).
  if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
    el.focus();
    el.select();
  } else {
    const range = document.createRange();
    range.selectNodeContents(el);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

async function copyFrom(button) {
  const id = button.dataset.copy;
  const el = document.getElementById(id);
  if (!el) return;
  const text = "value" in el ? el.value : el.textContent;
  let ok = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      ok = false;
    }
  }
  if (!ok) ok = selectAndCopy(el);
  const message = ok ? button.dataset.done : button.dataset.failed;
  const status = document.querySelector(`[data-copy-status="${CSS.escape(id)}"]`);
  if (status) status.textContent = message;
  if (!button.dataset.label) button.dataset.label = button.textContent;
  button.textContent = message;
  button.classList.toggle("is-done", ok);
  setTimeout(() => {
    button.textContent = button.dataset.label;
    button.classList.remove("is-done");
  }, 2000);
}

function wire() {
  rememberTimeZone();
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (button) {
      event.preventDefault();
      copyFrom(button);
    }
  });
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

wire();

if (document.querySelector('meta[name="rc-device-key"]')) {
  import("./device-key.js");
}

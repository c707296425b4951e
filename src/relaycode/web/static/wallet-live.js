// The wallet page follows commissions live: when the inbox stream (live.js) brings a
// commission or withdrawal item, the blocks marked [data-rc-refresh] are re-read from
// the server (same page, so amounts are formatted as everywhere else) and swapped in.
// The withdrawal form is not among them: nothing typed is lost.

const KINDS = /^(commission|withdrawal)_/;
let pending = null;

async function refresh() {
  const r = await fetch(location.pathname + location.search, {
    headers: { Accept: "text/html" },
    credentials: "same-origin",
  });
  if (!r.ok) return;
  const fresh = new DOMParser().parseFromString(await r.text(), "text/html");
  for (const old of document.querySelectorAll("[data-rc-refresh]")) {
    const next = fresh.querySelector(`[data-rc-refresh="${CSS.escape(old.dataset.rcRefresh)}"]`);
    if (next) old.replaceWith(document.importNode(next, true));
  }
}

document.addEventListener("rc:event", (e) => {
  const d = e.detail || {};
  if (d.event !== "inbox" || !KINDS.test(d.kind || "")) return;
  // Several items at once (a refund reverses many levels): one refresh.
  clearTimeout(pending);
  pending = setTimeout(() => refresh().catch(() => {}), 150);
});

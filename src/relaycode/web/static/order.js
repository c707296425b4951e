// The order page follows its order live, without a reload (templates/order.html).
//
// live.js dispatches every event of the user's stream as "rc:event" on document; an
// inbox item about this order (payment succeeded or failed, a refund ...) carries
// data.order_id. Then, and after the card step says it paid ("rc:card-paid", while the
// webhook is on its way), this page is fetched again and its [data-order-live] part is
// swapped for the new one. Polling after a card payment is bounded: a few tries, then
// the stream has the last word.

const live = document.querySelector("[data-order-live]");

const POLL_MS = 1500;
const POLL_TRIES = 20;

async function refresh() {
  let response;
  try {
    response = await fetch(location.pathname, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      cache: "no-store",
    });
  } catch {
    return null; // offline for a moment: the next event tries again
  }
  if (!response.ok) return null;
  const html = await response.text();
  const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-order-live]");
  const current = document.querySelector("[data-order-live]");
  if (!fresh || !current) return null;
  const changed =
    fresh.dataset.orderStatus !== current.dataset.orderStatus ||
    fresh.dataset.paymentStatus !== current.dataset.paymentStatus ||
    fresh.textContent !== current.textContent;
  if (changed) {
    current.replaceWith(document.adoptNode(fresh));
    const announce = document.querySelector("[data-order-announce]");
    if (announce) announce.textContent = fresh.dataset.updated || "";
    if (fresh.dataset.orderStatus !== "pending") {
      const card = document.querySelector("[data-order-card]");
      if (card) card.hidden = true;
    }
  }
  return fresh.dataset.orderStatus;
}

let polling = false;

async function pollUntilSettled() {
  if (polling) return;
  polling = true;
  try {
    for (let i = 0; i < POLL_TRIES; i += 1) {
      const status = await refresh();
      if (status && status !== "pending") return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    polling = false;
  }
}

if (live) {
  const id = String(live.dataset.orderId);
  document.addEventListener("rc:event", (event) => {
    const detail = event.detail || {};
    const data = detail.data || {};
    if (detail.event === "inbox" && String(data.order_id) === id) refresh();
    // Reconnected after a gap: anything may have happened meanwhile.
    if (detail.event === "hello" && live.dataset.seenHello) refresh();
    live.dataset.seenHello = "1";
  });
  document.addEventListener("rc:card-paid", () => pollUntilSettled());
}

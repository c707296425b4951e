// Live updates for any page of a signed-in user: one EventSource on /api/v1/me/events.
//
// Include it (base.html does, for signed-in pages) and mark up what should follow along:
//   [data-rc-unread]          a badge: the unread count (hidden at 0)
//   [data-rc-unread-text]     text "3 unread" / "All read" from data-some / data-none
//   [data-rc-inbox-list]      a list that new items are added to (first page of /inbox),
//                             built from the <template data-rc-inbox-template> on the page
//   [data-rc-live]            "live" / "reconnecting" from data-on / data-off
// Every event is also dispatched on document as a CustomEvent "rc:event" whose detail is
// {event: "inbox" | "unread" | "hello", ...data}; an inbox item's data has its kind,
// title, body, url, data, created_at and the new unread count. Another page listens:
//   document.addEventListener("rc:event", (e) => { if (e.detail.kind === "commission_earned") … });
// The browser reconnects by itself and sends Last-Event-ID: nothing is missed.

const STREAM = "/api/v1/me/events";

function setUnread(n) {
  const shown = n > 99 ? "99+" : String(n);
  for (const el of document.querySelectorAll("[data-rc-unread]")) {
    el.textContent = shown;
    el.hidden = n === 0;
  }
  for (const link of document.querySelectorAll("[data-rc-inbox-link]")) {
    const label = link.dataset.unreadLabel;
    if (label && n > 0) link.setAttribute("aria-label", `${link.firstChild.textContent.trim()}, ${label.replace("{n}", shown)}`);
    else link.removeAttribute("aria-label");
  }
  for (const el of document.querySelectorAll("[data-rc-unread-text]")) {
    el.textContent = n > 0 ? el.dataset.some.replace("{n}", shown) : el.dataset.none;
  }
}

function fill(node, item) {
  const field = (name) => node.querySelector(`[data-field="${name}"]`);
  field("title").textContent = item.title;
  field("body").textContent = item.body;
  const time = field("created_at");
  time.dateTime = item.created_at;
  time.textContent = new Date(item.created_at).toLocaleString(document.documentElement.lang);
  field("id").value = String(item.id);
  const link = field("url");
  if (item.url && item.url.startsWith("/") && !item.url.startsWith("//")) {
    link.href = item.url;
    link.hidden = false;
  }
}

function addItem(item) {
  const list = document.querySelector("[data-rc-inbox-list]:not([data-rc-static])");
  const template = document.querySelector("template[data-rc-inbox-template]");
  if (!list || !template || list.querySelector(`[data-id="${CSS.escape(String(item.id))}"]`)) return;
  const node = template.content.firstElementChild.cloneNode(true);
  node.dataset.id = String(item.id);
  node.dataset.kind = item.kind;
  fill(node, item);
  list.prepend(node);
  const empty = document.querySelector("[data-rc-inbox-empty]");
  if (empty) empty.hidden = true;
}

function liveState(on) {
  for (const el of document.querySelectorAll("[data-rc-live]")) {
    el.textContent = on ? el.dataset.on : el.dataset.off;
    el.classList.toggle("is-live", on);
  }
}

function dispatch(event, data) {
  document.dispatchEvent(new CustomEvent("rc:event", { detail: { event, ...data } }));
}

function connect() {
  if (!("EventSource" in window)) return;
  const source = new EventSource(STREAM);
  const on = (name, handle) =>
    source.addEventListener(name, (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      handle(data);
      dispatch(name, data);
    });
  on("hello", (data) => {
    liveState(true);
    setUnread(data.unread);
  });
  on("inbox", (data) => {
    setUnread(data.unread);
    addItem(data);
  });
  on("unread", (data) => setUnread(data.unread));
  on("bye", (data) => {
    // Signed out: stop. Otherwise (shutdown, a long-lived stream) the browser reconnects.
    if (data.reason === "signed_out") source.close();
    liveState(false);
  });
  source.addEventListener("error", () => liveState(false));
  window.addEventListener("pagehide", () => source.close());
}

connect();

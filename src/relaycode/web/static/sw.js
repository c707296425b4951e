// The service worker (served at /sw.js, scope "/"; web/offline.py fills in VERSION and
// ASSETS): keeps the share tool and "my codes" usable with no network (claim 5).
//
// - Static files: versioned ones (?v=<hash>) from the cache first, as they never change
//   under their name; unversioned ones (module imports) from the network first.
// - Pages an offline sharer needs (an offer, a code's page /C/ or /S/, /me/codes, a
//   shop) and a merchant's verifier station: from the network first, kept when they answer 200; with no network, the kept
//   copy. Nothing else is touched: the API, forms and other pages go to the network.
// - Signing out (POST /logout) forgets the kept pages and this browser's share keys.

const VERSION = "dev"; // replaced when served
const ASSETS = []; // replaced when served
const STATIC = "rc-static";
const PAGES = "rc-pages";
const KEEP =
  /^\/(?:offers\/\d+|[CcSs]\/[A-Za-z2-7]+|me\/codes|shop\/[^/]+|dashboard\/m\/[^/]+\/station)\/?$/;
const OFFLINE_PAGE = `<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · 离线</title></head>
<body><main><h1>Offline · 离线</h1><p>This page was not saved on this phone. Open it once while online.</p>
<p>此页面未保存在本机上。请先在联网时打开一次。</p><p><a href="/me/codes">My codes · 我的码</a></p></main></body></html>`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(STATIC);
      // One at a time, ignoring failures: a missing file must not stop the worker.
      await Promise.all(ASSETS.map((url) => cache.add(url).catch(() => undefined)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

async function staticFile(request, url) {
  const cache = await caches.open(STATIC);
  if (url.searchParams.has("v")) {
    const hit = await cache.match(request);
    if (hit) return hit;
    const response = await fetch(request);
    if (keepable(response)) await cache.put(request, response.clone());
    return response;
  }
  try {
    const response = await fetch(request);
    if (keepable(response)) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(request);
    if (hit) return hit;
    throw error;
  }
}

async function page(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (keepable(response)) await cache.put(request, response.clone());
    return response;
  } catch {
    // Pages vary by cookie and language; this phone has one of each that matters.
    const hit =
      (await cache.match(request, { ignoreVary: true })) ||
      (await cache.match(request, { ignoreSearch: true, ignoreVary: true }));
    if (hit) return hit;
    return new Response(OFFLINE_PAGE, {
      status: 503,
      headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
}

async function forget() {
  await caches.delete(PAGES);
  await new Promise((resolve) => {
    const req = indexedDB.deleteDatabase("relaycode-offline");
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/logout") {
    event.waitUntil(forget());
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request, url));
  } else if (request.mode === "navigate" && KEEP.test(url.pathname)) {
    event.respondWith(page(request));
  }
});

// A page asks to keep itself and "my codes" (it may have loaded before this worker ran).
// When the page passed a port, it hears back once the pages are stored: only then may it
// say it is kept (a phone going offline a moment later still finds them).
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  const reply = event.ports && event.ports[0];
  event.waitUntil(
    (async () => {
      let kept = 0;
      const cache = await caches.open(PAGES);
      for (const raw of data.urls.slice(0, 4)) {
        const url = new URL(raw, self.location.origin);
        if (url.origin !== self.location.origin || !KEEP.test(url.pathname)) continue;
        // Fetching a code's page again is not another scan of it.
        if (/^\/[CcSs]\//.test(url.pathname)) url.searchParams.set("seen", "1");
        try {
          const response = await fetch(url, { credentials: "same-origin" });
          if (keepable(response)) {
            await cache.put(url, response);
            kept += 1;
          }
        } catch {
          // offline meanwhile: kept next time
        }
      }
      reply?.postMessage({ type: "kept", kept });
    })(),
  );
});

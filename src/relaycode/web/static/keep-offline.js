// Registers the service worker (/sw.js) and asks it to keep pages for offline use.
// Resolves true once the worker has stored them (it answers on a MessageChannel), false
// when there is no worker or it did not answer within ``ms``: a page says it is kept
// only after it is, so a phone that goes offline a moment later still finds it.

export async function keepOffline(urls, ms = 15000) {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return false;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    const ready = await navigator.serviceWorker.ready;
    if (!ready.active) return false;
    const channel = new MessageChannel();
    const answered = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      channel.port1.onmessage = (event) => {
        clearTimeout(timer);
        resolve((event.data && event.data.kept) > 0);
      };
    });
    ready.active.postMessage({ type: "keep", urls }, [channel.port2]);
    return await answered;
  } catch {
    // No service worker (private mode, an old browser): the open page still works.
    return false;
  }
}

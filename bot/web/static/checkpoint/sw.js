// Service worker of the checkpoint page: keeps the page and its scripts for offline use.
// Network first (so updates arrive), cache when the network is cut. The signed lists are
// kept by the page itself (localStorage) so it can show how old they are.
const CACHE = "tongguan-checkpoint-v2";
const SHELL = ["/checkpoint", "/checkpoint-assets/checkpoint.css", "/checkpoint-assets/verify.js",
  "/checkpoint-assets/app.js", "/checkpoint-assets/vendor/jsQR.js"];
self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || !SHELL.includes(url.pathname)) return;
  e.respondWith(fetch(e.request).then((resp) => {
    const copy = resp.clone();
    caches.open(CACHE).then((c) => c.put(url.pathname, copy));
    return resp;
  }).catch(() => caches.match(url.pathname)));
});

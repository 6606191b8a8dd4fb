// The page's service worker: the page works offline from the last copy it
// saw. Static files and views are fetched from the node first and kept;
// when the node is unreachable the kept copy answers. Signed messages are
// never handled here: the page's outbox (IndexedDB) keeps and resends them.
const CACHE = "caracol-v1";
const SHELL = [
  "/", "/web/style.css", "/web/app.js", "/web/ui.js", "/web/i18n.js", "/web/net.js", "/web/store.js",
  "/web/screens/key.js", "/web/screens/proposals.js", "/web/screens/proposal.js", "/web/screens/people.js",
  "/web/screens/mandates.js", "/web/screens/constitution.js", "/web/screens/common.js",
  "/web/screens/kiosk.js", "/web/cards.js",
  "/web/i18n/es.json", "/web/i18n/en.json", "/web/icon.svg", "/manifest.webmanifest",
  // the JS core the page loads: core/index.js and what it imports (tests/web/test_static.py)
  "/core/canonical.js", "/core/card.js", "/core/client.js", "/core/deps.js", "/core/ed25519.js", "/core/envelope.js", "/core/errors.js", "/core/federal.js", "/core/hash.js", "/core/index.js", "/core/keys.js", "/core/keystore.js", "/core/kinds.js", "/core/sha256sync.js", "/core/text.js",
  "/vendor/@noble/ciphers/salsa.js", "/vendor/@noble/ciphers/_arx.js",
  "/vendor/@noble/ciphers/_poly1305.js", "/vendor/@noble/ciphers/utils.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== location.origin || url.pathname.endsWith("/events")) return;
  event.respondWith((async () => {
    try {
      const res = await fetch(req);
      if (res.ok) {
        const copy = res.clone();
        caches.open(CACHE).then((c) => c.put(req, copy));
      }
      return res;
    } catch (err) {
      const kept = await caches.match(req);
      if (kept) return kept;
      throw err;
    }
  })());
});

/* jichikai service worker: app shell, offline reading, push, queued check-ins. */
"use strict";
importScripts("/static/js/queue.js");

const VERSION = "v1";
const SHELL = "shell-" + VERSION;
const PAGES = "pages-" + VERSION;
// Every stylesheet, script and icon a page uses (tests/pwa/test_shell.py checks the templates).
const SHELL_FILES = [
  "/offline",
  "/static/vendor/dads/tokens.css",
  "/static/css/app.css",
  "/static/css/notices.css",
  "/static/css/notices-print.css",
  "/static/js/app.js",
  "/static/js/queue.js",
  "/static/js/notices.js",
  "/static/js/notices-print.js",
  "/static/js/notices-form.js",
  "/static/js/checkin.js",
  "/static/js/passkeys.js",
  "/static/push/push.js",
  "/static/js/rollcall.js",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/static/icons/maskable-192.png",
  "/static/icons/maskable-512.png",
  "/static/icons/apple-touch-icon.png",
  "/static/icons/badge-96.png",
];
// Pages kept for reading offline: the home feed, opened circulars, the check-in, and a block
// leader's roll call (its list of names, addresses, phones and last reports; removed at logout
// by Clear-Site-Data, and replaced by the "no event" page once the event has ended).
const READABLE = [
  /^\/$/, /^\/notices(\/\d+)?$/, /^\/disaster\/checkin$/, /^\/disaster\/rollcall$/,
  /^\/api\/v1\/notices(\/\d+)?$/,
];
const ROLLCALL = "/disaster/rollcall";
// Attachments are kept only by keepNewest (within the server's budget), read from there offline.
const ATTACHMENT = /^\/notices\/\d+\/files\/\d+(\/web)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL && k !== PAGES).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function readable(url) {
  return url.origin === self.location.origin && READABLE.some((re) => re.test(url.pathname));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (ATTACHMENT.test(url.pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(request, { cacheName: PAGES })
      .then((hit) => hit || Response.error())));
    return;
  }
  if (request.mode === "navigate" || readable(url)) {
    event.respondWith(networkFirst(request, url));
  }
});

/* The newest circulars the member can see, and their attachments within the server's size
   budget, kept for reading offline (GET /api/v1/notices/offline); pages open or not. Fetched
   with X-Jichikai-Purpose: offline, which the server does not count as opening. Attachments of
   circulars no longer among them are let go, so the budget holds. */
let keeping = null;
async function keepNewest() {
  const response = await fetch("/api/v1/notices/offline", { credentials: "same-origin" });
  if (!response.ok || response.redirected) return 0;
  const set = await response.json();
  const cache = await caches.open(PAGES);
  const wanted = new Set();
  let kept = 0;
  for (const notice of set.notices) {
    for (const path of [notice.url, ...notice.attachments]) {
      wanted.add(path);
      const copy = await fetch(path, { credentials: "same-origin", headers: { "X-Jichikai-Purpose": "offline" } })
        .catch(() => null);
      if (copy && copy.ok && !copy.redirected) { await cache.put(path, copy); kept += 1; }
    }
  }
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (ATTACHMENT.test(path) && !wanted.has(path)) await cache.delete(request);
  }
  return kept;
}

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "language") {
    // The member chose another language: the offline page is fetched again in it.
    keep(event, caches.open(SHELL).then((cache) => cache.add("/offline")).catch(() => {}));
    return;
  }
  if (!event.data || event.data.type !== "keep-newest") return;
  if (!keeping) keeping = keepNewest().catch(() => 0).finally(() => { keeping = null; });
  const port = event.ports && event.ports[0];
  keep(event, keeping.then((kept) => { if (port) port.postMessage({ kept }); }));
});

async function networkFirst(request, url) {
  try {
    const response = await fetch(request);
    if (response.ok && readable(url) && !response.redirected) {
      const cache = await caches.open(PAGES);
      cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const hit = await caches.match(request, { ignoreSearch: url.pathname === "/" });
    if (hit) return hit;
    if (request.mode === "navigate") return caches.match("/offline");
    throw error;
  }
}

// waitUntil() refuses events made by a script (as tests do); the work still runs.
function keep(event, promise) {
  try { event.waitUntil(promise); } catch (error) { /* untrusted event */ }
  return promise;
}

/* Keep a block leader's roll call for offline use as soon as an event starts: the first
   urgent message of an event fetches it (a member who leads no block gets 403: nothing kept). */
async function keepRollcall() {
  try {
    const response = await fetch(ROLLCALL, { credentials: "same-origin" });
    if (response.ok && !response.redirected) {
      await (await caches.open(PAGES)).put(ROLLCALL, response);
    }
  } catch (error) { /* offline: the page is kept the next time it is opened */ }
}

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: event.data.text() }; }
  const title = data.title || "自治会";
  if (data.urgency === "high") keep(event, keepRollcall());
  keep(event, self.registration.showNotification(title, {
    body: data.body || "",
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/badge-96.png",
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    requireInteraction: data.urgency === "high",
    data: { url: data.url || "/" },
    lang: "ja",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  let target = new URL(event.notification.data && event.notification.data.url || "/", self.location.origin);
  if (target.origin !== self.location.origin) target = new URL("/", self.location.origin);
  keep(event, (async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).pathname === target.pathname && "focus" in client) return client.focus();
    }
    for (const client of windows) {
      if ("navigate" in client) { await client.navigate(target.href); return client.focus(); }
    }
    return self.clients.openWindow(target.href);
  })());
});

async function csrfToken() {
  const response = await fetch("/api/v1/me", { credentials: "same-origin" });
  if (!response.ok) throw new Error("not logged in");
  return (await response.json()).csrf_token;
}

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const keyResponse = await fetch("/api/v1/push/vapid-public-key");
    const key = (await keyResponse.json()).public_key;
    const subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: JichikaiQueue.base64UrlToBytes(key),
    });
    const token = await csrfToken();
    await fetch("/api/v1/push/subscriptions", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(subscription.toJSON()),
    });
  })());
});

self.addEventListener("sync", (event) => {
  if (event.tag === JichikaiQueue.SYNC_TAG) {
    // Open pages show what was sent, and what was refused (not counted), at once.
    event.waitUntil(csrfToken().then((token) => JichikaiQueue.flush(token)).then(async () => {
      for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage("outbox");
    }));
  }
});

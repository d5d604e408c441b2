/* jichikai service worker: app shell, offline reading, push, queued check-ins. */
"use strict";
importScripts("/static/js/queue.js");

const VERSION = "v1";
const SHELL = "shell-" + VERSION;
const PAGES = "pages-" + VERSION;
const SHELL_FILES = [
  "/offline",
  "/static/vendor/dads/tokens.css",
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/js/queue.js",
  "/static/icons/icon-192.png",
  "/static/icons/badge-96.png",
];
// Pages kept for reading offline: the home feed, opened circulars, the check-in.
const READABLE = [/^\/$/, /^\/notices(\/\d+)?$/, /^\/disaster\/checkin$/, /^\/api\/v1\/notices(\/\d+)?$/];

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
  if (request.mode === "navigate" || readable(url)) {
    event.respondWith(networkFirst(request, url));
  }
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

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: event.data.text() }; }
  const title = data.title || "自治会";
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

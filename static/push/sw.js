// Shows the push messages the server sends: {"title", "body", "url", "tag"}.
// Registered by push.js with the scope of this folder; the app's main service worker may
// importScripts() this file instead.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = { title: event.data.text() }; }
  var options = { body: data.body || "", tag: data.tag || undefined, data: { url: data.url || "/" } };
  if (data.tag) { options.renotify = true; }
  event.waitUntil(self.registration.showNotification(data.title || "", options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (url.origin !== self.location.origin) { url = new URL("/", self.location.origin); }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === url.href && "focus" in windows[i]) { return windows[i].focus(); }
      }
      return self.clients.openWindow(url.href);
    })
  );
});

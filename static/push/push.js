// This device's push subscription, on the notification settings page.
// The service worker is the app's own (/sw.js, root scope): it shows the messages and
// re-subscribes when the browser replaces a subscription.
(function () {
  "use strict";
  var box = document.getElementById("push-device");
  if (!box) { return; }
  var show = function (id, on) { document.getElementById(id).hidden = !on; };
  var headers = { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf };

  function b64ToBytes(value) {
    var padded = (value + "===".slice((value.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function sameKey(subscription, key) {
    var current = subscription.options && subscription.options.applicationServerKey;
    if (!current) { return true; }
    var a = new Uint8Array(current);
    if (a.length !== key.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== key[i]) { return false; } }
    return true;
  }

  function render(subscribed) {
    show("push-on", subscribed);
    show("push-enable", !subscribed);
    show("push-disable", subscribed);
  }

  function fail() { show("push-error", true); }

  // False when the server holds this endpoint with other keys for another login (409).
  function save(subscription) {
    return fetch(box.dataset.subscriptionsUrl, {
      method: "POST", headers: headers, credentials: "same-origin",
      body: JSON.stringify(subscription.toJSON())
    }).then(function (response) {
      if (response.status === 409) { return false; }
      if (!response.ok) { throw new Error(response.status); }
      return true;
    });
  }

  function subscribe(registration, key) {
    return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
      .then(save).then(function (saved) { if (!saved) { throw new Error("409"); } });
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    show("push-unsupported", true);
    return;
  }
  if (Notification.permission === "denied") { show("push-denied", true); }

  var scope = box.dataset.workerUrl.replace(/[^/]*$/, "");
  Promise.all([
    navigator.serviceWorker.register(box.dataset.workerUrl, { scope: scope }),
    fetch(box.dataset.keyUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
  ]).then(function (results) {
    var registration = results[0];
    var key = b64ToBytes(results[1].public_key);
    var ready = registration.active ? Promise.resolve(registration) : navigator.serviceWorker.ready.then(function () { return registration; });
    return ready.then(function () { return registration.pushManager.getSubscription(); }).then(function (subscription) {
      // The server's key was replaced: subscribe again with the new one.
      if (subscription && !sameKey(subscription, key)) {
        return subscription.unsubscribe().then(function () { return subscribe(registration, key); })
          .then(function () { render(true); });
      }
      if (subscription) {
        return save(subscription).then(function (saved) {
          // Refused: a new subscription (a new endpoint) of this browser is saved instead.
          return saved || subscription.unsubscribe().then(function () { return subscribe(registration, key); });
        }).then(function () { render(true); });
      }
      render(false);
    }).then(function () {
      document.getElementById("push-enable").addEventListener("click", function () {
        show("push-error", false);
        Notification.requestPermission().then(function (permission) {
          if (permission !== "granted") { show("push-denied", true); return; }
          show("push-denied", false);
          return subscribe(registration, key).then(function () { render(true); });
        }).catch(fail);
      });
      document.getElementById("push-disable").addEventListener("click", function () {
        show("push-error", false);
        registration.pushManager.getSubscription().then(function (subscription) {
          if (!subscription) { render(false); return; }
          var endpoint = subscription.endpoint;
          return subscription.unsubscribe().then(function () {
            return fetch(box.dataset.subscriptionsUrl, {
              method: "DELETE", headers: headers, credentials: "same-origin",
              body: JSON.stringify({ endpoint: endpoint })
            });
          }).then(function () { render(false); });
        }).catch(fail);
      });
    });
  }).catch(fail);
})();

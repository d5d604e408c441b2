/* Check-ins kept in IndexedDB while offline, sent once when the network returns.
   Shared by the pages (app.js) and the service worker (sw.js). */
"use strict";
(function (scope) {
  const DB = "jichikai", STORE = "outbox", SYNC_TAG = "checkin-outbox";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "client_id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(mode, action) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && result.result !== undefined ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }

  const queue = {
    SYNC_TAG,
    add: (item) => run("readwrite", (store) => store.put(item)),
    all: () => run("readonly", (store) => store.getAll()),
    remove: (id) => run("readwrite", (store) => store.delete(id)),
    /* Send every queued report; the server stores each client_id once, so resending is safe. */
    async flush(csrfToken) {
      const items = await queue.all();
      let sent = 0;
      for (const item of items) {
        let response;
        try {
          response = await fetch(item.url, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
            body: JSON.stringify(item.body),
          });
        } catch (e) { break; }  // still offline
        if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 429)) {
          await queue.remove(item.client_id);  // stored, or refused for good (shown on the page)
          sent += 1;
        } else { break; }
      }
      return sent;
    },
    base64UrlToBytes(text) {
      const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
      const raw = atob(padded);
      return Uint8Array.from(raw, (c) => c.charCodeAt(0));
    },
  };
  scope.JichikaiQueue = queue;
})(typeof self !== "undefined" ? self : window);

/* Check-ins kept in IndexedDB while offline, sent once when the network returns.
   Shared by the pages (app.js) and the service worker (sw.js). A report the server refuses
   for good (made for an event that has ended, say) is not dropped: it moves to the "refused"
   list, which every page shows until the member has seen it. */
"use strict";
(function (scope) {
  const DB = "jichikai", STORE = "outbox", REFUSED = "refused", SYNC_TAG = "checkin-outbox";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 2);
      request.onupgradeneeded = () => {
        for (const name of [STORE, REFUSED]) {
          if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name, { keyPath: "client_id" });
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(mode, action, stores = STORE) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(stores, mode);
      const result = action(typeof stores === "string" ? tx.objectStore(stores) : tx);
      tx.oncomplete = () => resolve(result && result.result !== undefined ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }

  const queue = {
    SYNC_TAG,
    add: (item) => run("readwrite", (store) => store.put(item)),
    all: () => run("readonly", (store) => store.getAll()),
    remove: (id) => run("readwrite", (store) => store.delete(id)),
    refused: () => run("readonly", (store) => store.getAll(), REFUSED),
    forgetRefused: () => run("readwrite", (store) => store.clear(), REFUSED),
    /* Keep a report the server will never store, with its answer, for the member to see. */
    refuse: (item, answer) => run("readwrite", (tx) => {
      tx.objectStore(STORE).delete(item.client_id);
      tx.objectStore(REFUSED).put(Object.assign({}, item, {
        refused_at: new Date().toISOString(),
        reason: answer.reason || "", active_event_id: answer.active_event_id || null,
      }));
    }, [STORE, REFUSED]),
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
        if (response.ok) {
          // A captive portal answers 200 with its own page: not "stored"; try again later.
          const answer = await response.json().catch(() => ({}));
          if (typeof answer.stored !== "boolean" || response.redirected) break;
          await queue.remove(item.client_id);
        } else if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 429) {
          // Refused for good: kept in the list the pages show, never sent again.
          await queue.refuse(item, await response.json().catch(() => ({})));
        } else { break; }
        sent += 1;
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

/* 確認しました on a circular: without a network it is kept in the outbox (queue.js) and sent
   once the network returns; the server stores it once, so sending it again is harmless. */
"use strict";
(function () {
  const Q = window.JichikaiQueue;

  function clientId() {
    return window.crypto && crypto.randomUUID
      ? crypto.randomUUID()
      : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.dataset || !form.dataset.ackApi || navigator.onLine || !Q) return;
    event.preventDefault();
    const id = clientId();
    Q.add({ client_id: id, url: form.dataset.ackApi, body: { client_id: id }, queued_at: new Date().toISOString() })
      .then(() => {
        form.hidden = true;
        const note = form.parentElement.querySelector("[data-ack-queued]");
        if (note) { note.hidden = false; note.focus(); }
        if (navigator.serviceWorker) {
          navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register(Q.SYNC_TAG)).catch(() => {});
        }
      })
      .catch(() => form.submit());
  });
})();

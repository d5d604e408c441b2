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

  /* Opened online: the service worker keeps the newest circulars for reading offline. */
  const KEPT_AT = "jichikai-kept-offline-at", EVERY_MS = 15 * 60 * 1000;
  function keepNewest() {
    if (!navigator.onLine || !navigator.serviceWorker) return;
    const last = Number(localStorage.getItem(KEPT_AT) || 0);
    if (Date.now() - last < EVERY_MS) return;  // at most every 15 minutes
    localStorage.setItem(KEPT_AT, String(Date.now()));
    navigator.serviceWorker.ready.then((reg) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => { document.documentElement.dataset.keptOffline = event.data.kept; };
      reg.active.postMessage({ type: "keep-newest" }, [channel.port2]);
    }).catch(() => {});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", keepNewest);
  else keepNewest();

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

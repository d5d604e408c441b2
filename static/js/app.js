/* jichikai pages: service worker and queued check-ins. Every page works without it, too. */
"use strict";
(function () {
  const Q = window.JichikaiQueue;
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }

  /* ---- Check-in forms marked data-queue-api: sent as JSON, queued when offline. ---- */
  function formToJson(form) {
    const body = {};
    for (const [name, value] of new FormData(form)) {
      if (name === "csrf_token" || value === "") continue;
      if (form.querySelectorAll('[name="' + name + '"]').length > 1 && form.elements[name][0] && form.elements[name][0].type === "checkbox") {
        (body[name] = body[name] || []).push(/^\d+$/.test(value) ? Number(value) : value);
      } else {
        body[name] = /^\d+$/.test(value) && name.endsWith("_id") ? Number(value) : value;
      }
    }
    if (form.submitter && form.submitter.name) body[form.submitter.name] = form.submitter.value;
    return body;
  }

  function showPending() {
    Q.all().then((items) => {
      document.querySelectorAll("[data-queue-status]").forEach((el) => {
        el.hidden = items.length === 0;
        el.textContent = items.length ? el.dataset.pendingText.replace("%d", items.length) : "";
      });
    }).catch(() => {});
  }

  function flush() {
    if (!navigator.onLine) return;
    Q.flush(csrf()).then((sent) => { showPending(); if (sent) document.dispatchEvent(new CustomEvent("jichikai:sent")); }).catch(() => {});
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.dataset || !form.dataset.queueApi) return;
    event.preventDefault();
    const body = formToJson(form);
    body.client_id = body.client_id || (self.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    const item = { client_id: body.client_id, url: form.dataset.queueApi, body, queued_at: new Date().toISOString() };
    const queueIt = () => Q.add(item).then(() => {
      showPending();
      if (navigator.serviceWorker && navigator.serviceWorker.ready) {
        navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register(Q.SYNC_TAG)).catch(() => {});
      }
    });
    if (!navigator.onLine) { queueIt(); return; }
    fetch(item.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body),
    }).then((response) => {
      if (response.ok) { window.location.href = form.dataset.done || window.location.href; return; }
      return response.json().then((data) => {
        const box = form.querySelector("[data-queue-error]");
        if (box) { box.hidden = false; box.textContent = data.message || ""; }
      });
    }).catch(queueIt);
  });

  window.addEventListener("online", flush);
  document.addEventListener("DOMContentLoaded", () => { showPending(); flush(); });

  /* iPhone: push works only from the home screen; show how to add it there. */
  document.addEventListener("DOMContentLoaded", () => {
    const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
    const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone;
    document.querySelectorAll("[data-ios-install]").forEach((el) => { el.hidden = !(ios && !standalone); });
  });
})();

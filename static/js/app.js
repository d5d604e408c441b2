/* jichikai pages: service worker and queued check-ins. Every page works without it, too. */
"use strict";
(function () {
  const Q = window.JichikaiQueue;
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }

  /* ---- Check-in forms marked data-queue-api: without a network the report is kept in the
     outbox (IndexedDB) and sent once the network returns; online, the plain form is used. ---- */
  const NUMBERS = ["shelter_id", "headcount", "lat", "lon"];

  function formToJson(form, submitter) {
    const body = {};
    for (const [name, value] of new FormData(form, submitter)) {
      if (name === "csrf_token" || name === "relocate" || value === "") continue;
      if (name.endsWith("_ids")) (body[name] = body[name] || []).push(Number(value));
      else body[name] = NUMBERS.includes(name) ? Number(value) : value;
    }
    return body;
  }

  function showPending() {
    Q.all().then((items) => {
      document.querySelectorAll("[data-queue-status]").forEach((el) => {
        el.hidden = items.length === 0;
        el.textContent = items.length ? el.dataset.pendingText.replace("{n}", items.length) : "";
      });
    }).catch(() => {});
  }

  function flush() {
    if (!navigator.onLine) return;
    Q.flush(csrf()).then((sent) => {
      showPending();
      if (sent && document.querySelector("[data-queue-api]")) window.location.reload();
    }).catch(() => {});
  }

  /* The second tap (which shelter, where, what help) normally comes from the server. */
  function offlineDetails(form, status) {
    const template = document.getElementById("offline-details");
    const part = template && template.content.querySelector('[data-status="' + status + '"]');
    const buttons = form.querySelector(".status-buttons");
    if (!part || !buttons) return false;
    const hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = "status"; hidden.value = status;
    buttons.replaceWith(hidden, part.cloneNode(true));
    const first = form.querySelector("button, input[type=text]");
    if (first) first.focus();
    return true;
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.dataset || !form.dataset.queueApi || navigator.onLine) return;
    event.preventDefault();
    const body = formToJson(form, event.submitter);
    const needs = { at_shelter: "shelter_id", elsewhere: "place", need_help: "help_kind" }[body.status];
    if (needs && !body[needs] && offlineDetails(form, body.status)) return;
    Q.add({ client_id: body.client_id, url: form.dataset.queueApi, body, queued_at: new Date().toISOString() })
      .then(() => {
        showPending();
        form.hidden = true;
        if (navigator.serviceWorker) {
          navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register(Q.SYNC_TAG)).catch(() => {});
        }
        window.scrollTo(0, 0);
      });
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

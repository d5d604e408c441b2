/* jichikai pages: service worker and queued check-ins. Every page works without it, too. */
"use strict";
(function () {
  const Q = window.JichikaiQueue;
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }

  /* ---- Check-in forms marked data-queue-api. A complete report goes to the JSON API: one
     small request, and the page stays (no second page load on a busy network). Without a
     network it is kept in the outbox (IndexedDB) and sent once the network returns. Anything
     else (the second step online, an answer other than "stored") is left to the plain form,
     which works without JavaScript, too. ---- */
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

  function keep(form, body) {
    return Q.add({ client_id: body.client_id, url: form.dataset.queueApi, body, queued_at: new Date().toISOString() })
      .then(() => {
        showPending();
        form.hidden = true;
        if (navigator.serviceWorker) {
          navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register(Q.SYNC_TAG)).catch(() => {});
        }
        window.scrollTo(0, 0);
      });
  }

  function showDone(form) {
    const template = document.getElementById("checkin-done");
    const done = template.content.cloneNode(true);
    // The page's other parts (statuses shown, step headings) are from before this report.
    document.querySelectorAll("[data-checkin-step]").forEach((el) => { el.hidden = true; });
    form.replaceWith(done);
    window.scrollTo(0, 0);
    const focus = document.querySelector("[data-checkin-done]");
    if (focus) focus.focus();
  }

  function plainSubmit(form, submitter) {
    form.dataset.plain = "1";
    form.requestSubmit(submitter || undefined);
  }

  function send(form, body, submitter) {
    form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    return fetch(form.dataset.queueApi, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body),
    }).then((response) => {
      form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      if (response.ok) showDone(form);
      else plainSubmit(form, submitter);  // the server's page says what is wrong
    }, () => {
      form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      return keep(form, body);  // the network went away on the way
    });
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.dataset || !form.dataset.queueApi || form.dataset.plain) return;
    if (!window.fetch || !form.requestSubmit) return;
    const body = formToJson(form, event.submitter);
    const needs = { at_shelter: "shelter_id", elsewhere: "place", need_help: "help_kind" }[body.status];
    if (needs && !body[needs]) {
      if (navigator.onLine) return;  // the server shows the second step, nearest first
      event.preventDefault();
      if (!offlineDetails(form, body.status)) keep(form, body);  // the server will say what is missing
      return;
    }
    event.preventDefault();
    if (!navigator.onLine) keep(form, body);
    else send(form, body, event.submitter);
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

/* jichikai pages: service worker and queued check-ins. Every page works without it, too. */
"use strict";
(function () {
  const Q = window.JichikaiQueue;
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
    /* The offline page is kept in the language it was fetched in: when the page's language
       changes, the service worker fetches it again. */
    const language = document.documentElement.dataset.language;
    try {
      if (language && localStorage.getItem("jichikai-language") !== language) {
        navigator.serviceWorker.ready.then((reg) => {
          if (reg.active) reg.active.postMessage({ type: "language" });
          localStorage.setItem("jichikai-language", language);
        }).catch(() => {});
      }
    } catch (error) { /* storage refused (private mode): the offline page stays as it was */ }
  }

  /* ---- Check-in forms marked data-queue-api. A complete report goes to the JSON API: one
     small request, and the page stays (no second page load on a busy network). Without a
     network it is kept in the outbox (IndexedDB) and sent once the network returns. Anything
     else (the second step online, an answer other than "stored") is left to the plain form,
     which works without JavaScript, too. ---- */
  const NUMBERS = ["event_id", "shelter_id", "headcount", "lat", "lon"];

  function formToJson(form, submitter) {
    const body = {};
    for (const [name, value] of new FormData(form, submitter)) {
      if (name === "csrf_token" || name === "relocate" || value === "") continue;
      if (name.endsWith("_ids")) (body[name] = body[name] || []).push(Number(value));
      else body[name] = NUMBERS.includes(name) ? Number(value) : value;
    }
    return body;
  }

  /* Reports waiting to be sent, and those the server refused for good (made for an event
     that has ended): the member is told they were not counted, never left guessing. */
  function showPending() {
    const waiting = Q.all().then((items) => {
      document.querySelectorAll("[data-queue-status]").forEach((el) => {
        el.hidden = items.length === 0;
        el.textContent = items.length ? el.dataset.pendingText.replace("{n}", items.length) : "";
      });
    });
    const refused = Q.refused().then((items) => {
      const box = document.querySelector("[data-queue-refused]");
      if (!box) return;
      box.hidden = items.length === 0;
      const list = box.querySelector("ul");
      list.replaceChildren(...items.map((item) => {
        const li = document.createElement("li");
        const when = new Date(item.queued_at || item.refused_at);
        li.textContent = box.dataset.itemText.replace("{when}", when.toLocaleString(document.documentElement.lang || "ja", {
          month: "numeric", day: "numeric", hour: "numeric", minute: "2-digit",
        }));
        return li;
      }));
      box.querySelector("a").hidden = !items.some((item) => item.active_event_id);
    });
    return Promise.all([waiting, refused]).catch(() => {});
  }

  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-queue-refused] button")) return;
    Q.forgetRefused().then(showPending).catch(() => {});
  });
  if (navigator.serviceWorker) navigator.serviceWorker.addEventListener("message", showPending);
  document.addEventListener("jichikai:outbox", showPending);

  function flush() {
    if (!navigator.onLine) return;
    Q.flush(csrf()).then((sent) => {
      showPending();
      if (sent && document.querySelector("[data-queue-api], [data-outbox-api]")) window.location.reload();
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
        form.hidden = true;
        if (navigator.serviceWorker) {
          navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register(Q.SYNC_TAG)).catch(() => {});
        }
        window.scrollTo(0, 0);
        return showPending();
      })
      .then(() => {
        const notice = document.querySelector("[data-queue-status]");
        if (notice && !notice.hidden) notice.focus();
      });
  }

  function showDone(form) {
    const template = document.getElementById("checkin-done");
    const done = template.content.cloneNode(true);
    // The page's other parts (statuses shown, step headings) are from before this report.
    document.querySelectorAll("[data-checkin-step]").forEach((el) => { el.hidden = true; });
    form.replaceWith(done);
    window.scrollTo(0, 0);
    const heading = document.querySelector("[data-checkin-done]");
    if (heading) heading.focus();
  }

  function plainSubmit(form, submitter) {
    form.dataset.plain = "1";
    form.requestSubmit(submitter || undefined);  // the submit event runs now, synchronously
    delete form.dataset.plain;  // a page restored by "back" uses the script again
  }

  /* A new id for each report made on this page. The page may come from the offline cache,
     whose id was already used by an earlier report; a retry of one report keeps its id (the
     outbox stores it with the report). */
  function newClientIds() {
    document.querySelectorAll("form[data-queue-api] input[name=client_id]").forEach((input) => {
      input.value = window.crypto && crypto.randomUUID
        ? crypto.randomUUID()
        : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    });
  }

  const TIMEOUT_MS = 15000;
  const REFUSED = [400, 401, 403, 404, 409, 410, 413, 422];

  function setSending(form, sending) {
    form.querySelectorAll("button").forEach((b) => { b.disabled = sending; });
    form.setAttribute("aria-busy", sending ? "true" : "false");
    document.querySelectorAll("[data-sending]").forEach((el) => { el.hidden = !sending; });
  }

  async function stored(response) {
    // A captive portal or a proxy page answers 200 with HTML: that is not our server's "stored".
    if (!response.ok || response.redirected) return false;
    if (!(response.headers.get("Content-Type") || "").includes("application/json")) return false;
    try {
      const data = await response.json();
      return typeof data.stored === "boolean" && typeof data.event_id === "number";
    } catch (e) { return false; }
  }

  async function send(form, body, submitter) {
    setSending(form, true);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(form.dataset.queueApi, {
        method: "POST", credentials: "same-origin", signal: abort.signal,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(body),
      });
    } catch (e) {
      response = null;  // no network, or too slow: the outbox sends it later
    } finally {
      clearTimeout(timer);
    }
    const ok = response && await stored(response);
    setSending(form, false);
    if (ok) showDone(form);
    else if (response && REFUSED.includes(response.status)) plainSubmit(form, submitter);  // the server's page says why
    else await keep(form, body);  // busy server (429, 5xx), lost network or not our server
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

  /* A block leader's roll call is kept on the phone while an event runs (the service worker
     stores it on every online visit), and removed once a page shows no event. */
  function keepOrForgetRollcall() {
    if (!navigator.onLine || !window.caches) return;
    const link = document.querySelector("[data-rollcall-link]");
    if (link && navigator.serviceWorker && navigator.serviceWorker.controller) {
      fetch(link.getAttribute("href"), { credentials: "same-origin" }).catch(() => {});
    } else if (!document.querySelector("[data-disaster-banner]")) {
      caches.keys().then((keys) => Promise.all(keys.map((key) => caches.open(key)
        .then((cache) => cache.delete("/disaster/rollcall", { ignoreSearch: true }))))).catch(() => {});
    }
  }

  window.addEventListener("online", flush);
  document.addEventListener("DOMContentLoaded", keepOrForgetRollcall);
  document.addEventListener("DOMContentLoaded", () => { newClientIds(); showPending(); flush(); });

  /* A print button ([data-print], e.g. the login card sheet) opens the print dialog. */
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  /* iPhone: push works only from the home screen; show how to add it there. */
  document.addEventListener("DOMContentLoaded", () => {
    const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
    const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone;
    document.querySelectorAll("[data-ios-install]").forEach((el) => { el.hidden = !(ios && !standalone); });
  });
})();

/* The block leader's roll call without a network. The page itself (names, addresses, phones,
   last reports) is kept by the service worker whenever it is opened online. A visit's report
   or a call's outcome goes to the JSON API; without a network it waits in the outbox
   (IndexedDB, queue.js) with its own client id and is sent once when the network returns
   (app.js); the server stores each client id once. Without this script the forms post as
   plain forms. */
"use strict";
(function () {
  const Q = window.JichikaiQueue;
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const NUMBERS = ["event_id", "shelter_id", "headcount", "member_id", "household_id"];
  const SKIP = ["csrf_token", "block_id"];
  const TIMEOUT_MS = 15000;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function toJson(form, submitter) {
    const body = {};
    for (const [name, value] of new FormData(form, submitter)) {
      if (SKIP.includes(name) || value === "") continue;
      if (name.endsWith("_ids")) (body[name] = body[name] || []).push(Number(value));
      else body[name] = NUMBERS.includes(name) ? Number(value) : value;
    }
    return body;
  }

  /* What was kept, shown where it was entered, until the page is reloaded with the answer. */
  function showKept(form, submitter) {
    let text = form.dataset.keptText || "";
    const status = form.querySelector("select[name=status]");
    if (status && status.selectedIndex > 0) text += status.options[status.selectedIndex].text;
    else if (submitter && submitter.textContent) text += submitter.textContent.trim();
    const note = document.createElement("p");
    note.className = "outbox";
    note.setAttribute("data-kept", "");
    note.textContent = text;
    form.replaceWith(note);
  }

  function keep(form, body, submitter) {
    return Q.add({ client_id: body.client_id, url: form.dataset.outboxApi, body, queued_at: new Date().toISOString() })
      .then(() => {
        showKept(form, submitter);
        if (navigator.serviceWorker) {
          navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register(Q.SYNC_TAG)).catch(() => {});
        }
        document.dispatchEvent(new Event("jichikai:outbox"));
      });
  }

  function plainSubmit(form, submitter) {
    form.dataset.plain = "1";
    form.requestSubmit(submitter || undefined);
    delete form.dataset.plain;
  }

  async function send(form, body, submitter) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response = null;
    try {
      response = await fetch(form.dataset.outboxApi, {
        method: "POST", credentials: "same-origin", signal: abort.signal,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(body),
      });
    } catch (e) {
      response = null;  // no network, or too slow
    } finally {
      clearTimeout(timer);
    }
    const json = response && response.ok && !response.redirected
      && (response.headers.get("Content-Type") || "").includes("application/json")
      ? await response.json().catch(() => null) : null;
    if (json && typeof json.stored === "boolean") window.location.reload();
    else if (response && response.status >= 400 && response.status < 500 && response.status !== 429) {
      plainSubmit(form, submitter);  // the server's page says what is wrong
    } else await keep(form, body, submitter);
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.dataset || !form.dataset.outboxApi || form.dataset.plain) return;
    if (!window.fetch || !form.requestSubmit || !Q) return;
    if (!form.checkValidity()) return;
    event.preventDefault();
    // A new id for each report: the page may come from the offline cache, whose ids were used.
    const input = form.querySelector("input[name=client_id]");
    input.value = newId();
    const body = toJson(form, event.submitter);
    if (!navigator.onLine) keep(form, body, event.submitter);
    else send(form, body, event.submitter);
  });
})();

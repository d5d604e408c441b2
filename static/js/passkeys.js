/* Passkeys: registering one ([data-passkey-register] form) and logging in with one
   ([data-passkey-login] button). The server hands out the WebAuthn options as JSON and checks
   the browser's answer; this script only carries them (binary fields travel as base64url). */
"use strict";
(function () {
  const supported = !!(window.PublicKeyCredential && navigator.credentials);
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  }

  function toText(buffer) {
    let binary = "";
    new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map((c) => Object.assign({}, c, { id: toBytes(c.id) }));
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {}),
    }).then((response) => response.json().catch(() => ({})).then((data) => {
      if (!response.ok) throw Object.assign(new Error(data.message || ""), { fromServer: true });
      return data;
    }));
  }

  function creationOptions(o) {
    return Object.assign({}, o, {
      challenge: toBytes(o.challenge),
      user: Object.assign({}, o.user, { id: toBytes(o.user.id) }),
      excludeCredentials: descriptors(o.excludeCredentials),
    });
  }

  function requestOptions(o) {
    return Object.assign({}, o, {
      challenge: toBytes(o.challenge),
      allowCredentials: descriptors(o.allowCredentials),
    });
  }

  // The credential as JSON, with the named binary fields of its response in base64url.
  function credentialJson(credential, fields) {
    const r = credential.response;
    const response = {};
    fields.forEach((name) => { if (r[name]) response[name] = toText(r[name]); });
    if (r.getTransports) response.transports = r.getTransports();
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response,
    };
  }

  function showError(element, status, error) {
    if (!status) return;
    // A message from the server says what went wrong; a refusal in the browser (cancelled,
    // timed out) gets the page's plain text.
    status.textContent = (error && error.fromServer && error.message) || element.dataset.failedText;
    status.hidden = false;
  }

  function register(form) {
    const status = form.querySelector("[data-passkey-status]");
    const button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!supported) {
        status.textContent = form.dataset.unsupportedText;
        status.hidden = false;
        return;
      }
      const name = form.querySelector("[name=name]").value.trim();
      if (!name) { form.querySelector("[name=name]").focus(); return; }
      button.disabled = true;
      status.hidden = true;
      post(form.dataset.optionsUrl)
        .then((options) => navigator.credentials.create({ publicKey: creationOptions(options) }))
        .then((credential) => post(form.dataset.verifyUrl, { name, credential: credentialJson(credential, ["clientDataJSON", "attestationObject"]) }))
        .then((data) => { window.location.assign(data.redirect); })
        .catch((error) => { showError(form, status, error); })
        .finally(() => { button.disabled = false; });
    });
  }

  function logIn(button) {
    const status = button.parentElement.querySelector("[data-passkey-status]");
    button.addEventListener("click", () => {
      if (!supported) {
        status.textContent = button.dataset.unsupportedText || button.dataset.failedText;
        status.hidden = false;
        return;
      }
      button.disabled = true;
      status.hidden = true;
      post(button.dataset.optionsUrl)
        .then((options) => navigator.credentials.get({ publicKey: requestOptions(options) }))
        .then((credential) => post(button.dataset.verifyUrl, { credential: credentialJson(credential, ["clientDataJSON", "authenticatorData", "signature", "userHandle"]) }))
        .then((data) => { window.location.assign(data.redirect); })
        .catch((error) => { showError(button, status, error); })
        .finally(() => { button.disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (supported) document.querySelectorAll("[data-passkey-only]").forEach((el) => { el.hidden = false; });
    document.querySelectorAll("form[data-passkey-register]").forEach(register);
    document.querySelectorAll("[data-passkey-login]").forEach(logIn);
  });
})();

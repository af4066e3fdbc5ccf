// SafeCase: passkeys (WebAuthn), on the pages that offer them: signing in
// with a passkey as the second step, and adding one on "Second factor".
// Without this script, or in a browser without passkeys, those pages still
// work with an authenticator app's codes and recovery codes.
//
// Each form names the address that starts the ceremony (data-passkey-get,
// data-passkey-create). The script posts the form there, hands the options
// the server answers to the browser, encodes the browser's answer as JSON
// (binary fields in base64url) in the form's hidden field, and submits the
// form as usual: the server answers with an ordinary page.
(function () {
  "use strict";
  var supported = !!(window.PublicKeyCredential && navigator.credentials &&
    navigator.credentials.create && navigator.credentials.get && window.fetch);

  function toBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), b = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
    return b.buffer;
  }
  function toB64u(buf) {
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function ids(list) {
    (list || []).forEach(function (c) { c.id = toBuf(c.id); });
  }

  // show writes a message in the form's error line (or hides it).
  function show(form, msg) {
    var el = form.querySelector("[data-passkey-error]");
    if (!el) return;
    el.textContent = msg || "";
    el.hidden = !msg;
  }

  // start posts form to its start address and returns the options, or
  // shows what was wrong (the server's words) and returns null.
  function start(form, url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Accept": "application/json" }
    }).then(function (res) {
      // Signed out meanwhile (a redirect to the sign-in page) or the sign-in expired: the page says what next.
      if (res.status === 401 || res.redirected) { window.location.reload(); return null; }
      return res.json().then(function (j) {
        if (res.ok) return j;
        var e = j && j.error, msg = e ? e.message : "";
        if (e && e.fields && e.fields.length) {
          msg = e.fields.map(function (f) { return f.message; }).join(" ");
        }
        show(form, msg || form.getAttribute("data-msg-failed"));
        return null;
      });
    });
  }

  function failed(form) {
    return function (err) {
      // The person cancelled, or the device refused: say so and let them try again.
      show(form, form.getAttribute(err && err.name === "NotAllowedError" ? "data-msg-cancelled" : "data-msg-failed"));
      var b = form.querySelector("button[type=submit]");
      if (b) b.disabled = false;
    };
  }

  function reveal(form) {
    form.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });
    form.querySelectorAll(".no-passkey").forEach(function (el) { el.hidden = true; });
  }

  // ceremony wires every form that matches sel: on submit, run(form, button)
  // performs the ceremony (its promise settles once the form is submitted or
  // given up); a cancellation or a failure says so and lets the person try
  // again.
  function ceremony(sel, run) {
    document.querySelectorAll(sel).forEach(function (form) {
      if (!supported) return;
      reveal(form);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        show(form, "");
        var button = form.querySelector("button[type=submit]");
        button.disabled = true;
        run(form, button).catch(failed(form));
      });
    });
  }

  // encode is the browser's answer cred as the server reads it: response
  // holds the ceremony's own fields, binary ones in base64url.
  function encode(cred, response) {
    var out = {
      id: cred.id, rawId: toB64u(cred.rawId), type: cred.type,
      response: response,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    return JSON.stringify(out);
  }

  // The second step of signing in.
  ceremony("form[data-passkey-get]", function (form, button) {
    return start(form, form.getAttribute("data-passkey-get"), new URLSearchParams()).then(function (opts) {
      if (!opts) { button.disabled = false; return; }
      var pk = opts.publicKey;
      pk.challenge = toBuf(pk.challenge);
      ids(pk.allowCredentials);
      return navigator.credentials.get({ publicKey: pk }).then(function (cred) {
        var r = cred.response, response = {
          clientDataJSON: toB64u(r.clientDataJSON),
          authenticatorData: toB64u(r.authenticatorData),
          signature: toB64u(r.signature)
        };
        if (r.userHandle) response.userHandle = toB64u(r.userHandle);
        form.elements.passkey.value = encode(cred, response);
        form.submit();
      });
    });
  });

  // Adding a passkey.
  ceremony("form[data-passkey-create]", function (form, button) {
    var body = new URLSearchParams();
    ["name", "password"].forEach(function (n) { if (form.elements[n]) body.set(n, form.elements[n].value); });
    return start(form, form.getAttribute("data-passkey-create"), body).then(function (opts) {
      if (!opts) { button.disabled = false; return; }
      var pk = opts.publicKey;
      pk.challenge = toBuf(pk.challenge);
      pk.user.id = toBuf(pk.user.id);
      ids(pk.excludeCredentials);
      return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
        var r = cred.response;
        form.elements.credential.value = encode(cred, {
          clientDataJSON: toB64u(r.clientDataJSON),
          attestationObject: toB64u(r.attestationObject),
          transports: r.getTransports ? r.getTransports() : []
        });
        if (form.elements.password) form.elements.password.value = ""; // checked already; not sent twice
        form.submit();
      });
    });
  });
})();

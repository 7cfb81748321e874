/* Workbench terminals. Every page works without this file: the server
   locks an idle badge session at its next request, and the badge page asks
   for the PIN after a badge sent alone. This only spares a round trip and
   locks the screen itself when nobody touches the terminal. */
(function () {
  "use strict";

  // Badge page: the scanner types the code and Enter; Enter goes on to the PIN.
  var badge = document.querySelector("[data-badge-field]");
  var pin = document.querySelector("[data-pin-field]");
  if (badge && pin) {
    badge.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      if (!badge.value.trim()) {
        // An Enter on an empty field: nothing was scanned yet.
        event.preventDefault();
        return;
      }
      if (!pin.value) {
        event.preventDefault();
        pin.focus();
      }
    });
    // A new scan while the PIN is pending starts over with that badge.
    badge.addEventListener("focus", function () { badge.select(); });
    var wanted = document.querySelector("[autofocus]") || badge;
    if (document.activeElement === document.body || document.activeElement === null) {
      wanted.focus();
    }
  }

  // Idle lock: only in a session opened by badge (the server adds these attributes).
  var script = document.currentScript || document.querySelector("script[data-idle-seconds]");
  if (!script || !script.dataset.idleSeconds) { return; }
  var idleMs = parseInt(script.dataset.idleSeconds, 10) * 1000;
  if (!(idleMs > 0)) { return; }
  var lockUrl = script.dataset.lockUrl;
  var aliveUrl = script.dataset.aliveUrl;
  var csrf = script.dataset.csrf;
  // The server counts idle time from the last request: tell it about typing
  // and clicks that send none, at most every 30 seconds.
  var ALIVE_EVERY_MS = 30 * 1000;
  var lastUse = Date.now();
  var lastAlive = Date.now();
  var locking = false;

  function lockNow() {
    if (locking) { return; }
    locking = true;
    // A form, not a link: locking logs out, and logging out takes the CSRF token.
    var form = document.createElement("form");
    form.method = "post";
    form.action = lockUrl;
    form.hidden = true;
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrf;
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  }

  function used() {
    if (locking) { return; }
    lastUse = Date.now();
    if (aliveUrl && lastUse - lastAlive >= ALIVE_EVERY_MS) {
      lastAlive = lastUse;
      window.fetch(aliveUrl, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        // The server locked the session already (another tab, a clock ahead).
        if (response.redirected) { window.location.assign(response.url); }
      }).catch(function () { /* offline: the next page load will tell */ });
    }
  }

  ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, used, { passive: true, capture: true });
  });

  // A timer that checks the clock, so a laptop waking from sleep locks at once.
  window.setInterval(function () {
    if (Date.now() - lastUse >= idleMs) { lockNow(); }
  }, 1000);
})();

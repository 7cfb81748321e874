/* Continuous scanning helpers. Every page works without this file; it only
   keeps the scan field ready for the next code, announces the last outcome
   to screen readers, refuses a second submission of the same form, and lets
   Escape leave the intake form. */
(function () {
  "use strict";

  var field = document.querySelector("[data-scan-field]");

  // The browser applies `autofocus` at its next rendering step, which may come
  // after the scanner has started typing: give the focus now.
  var autofocus = document.querySelector("[autofocus]");
  if (autofocus && (document.activeElement === document.body || document.activeElement === null)) {
    autofocus.focus();
  }

  if (field) {
    var focusField = function () {
      if (document.activeElement === document.body || document.activeElement === null) {
        field.focus();
      }
    };
    // A click on an empty part of the page or coming back to the window must
    // not leave the scanner typing into nothing.
    document.addEventListener("click", function () { window.setTimeout(focusField, 0); });
    window.addEventListener("focus", focusField);
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.altKey || event.metaKey) { return; }
      if (document.activeElement === document.body && event.key.length === 1) {
        // Focus moves before the character is inserted, so it lands in the field.
        field.focus();
      }
    });
    // A page restored by the back button keeps the last code typed: clear it.
    // (Not on a fresh load: the scanner may already be typing the next code.)
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { field.value = ""; field.focus(); }
    });
  }

  // Screen readers announce a live region when its content changes, not when
  // the page loads with it: put the outcome in again once the page is ready.
  var outcome = document.getElementById("scan-outcome");
  if (outcome && outcome.textContent.trim()) {
    var content = outcome.innerHTML;
    outcome.innerHTML = "";
    window.setTimeout(function () { outcome.innerHTML = content; }, 150);
  }

  // A double Enter or a double click sends the form once; the server copes
  // with the second anyway, this only spares a confusing answer.
  Array.prototype.forEach.call(document.querySelectorAll("form.intake-form, form.scan-form"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "yes";
    });
    var cancel = form.getAttribute("data-cancel-url");
    if (cancel) {
      form.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          event.preventDefault();
          window.location.assign(cancel);
        }
      });
    }
  });

  // When the back button restores a page from the cache, its forms may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), function (form) {
        delete form.dataset.sent;
      });
    }
  });
})();

/* The work card's bench tests. Every page works without this file: the list
   of tests shows each one's state when the card is loaded again. This only
   follows the tests that were waiting or running when the card opened, once
   a second, and says how far they are without a reload; when they end it says
   how, and offers the card again for the full result. Its sentences come from
   the data-text-* attributes, translated by the server. */
(function () {
  "use strict";

  var box = document.getElementById("bench-jobs");
  if (!box || !box.dataset.jobsUrl || !window.fetch) { return; }
  var live = document.getElementById("job-live");
  var bar = document.getElementById("job-progress");
  var reload = document.getElementById("job-reload");
  var EVERY_MS = 1000;
  var followed = {};
  var anyOpen = false;

  Array.prototype.forEach.call(box.querySelectorAll("[data-job-open]"), function (item) {
    followed[item.dataset.jobId] = true;
    anyOpen = true;
  });
  if (!anyOpen) { return; }

  // A sentence from its data-text-* attribute, the {names} filled in.
  function say(name, values) {
    var text = box.dataset["text" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : "";
    }).replace(/\s+/g, " ").trim();
  }

  function sentence(job) {
    var values = {
      script: job.script_label,
      station: job.station,
      percent: job.percent,
      message: job.message || "",
      outcome: job.outcome_label
    };
    if (job.state === "queued") { return say("queued", values); }
    if (job.state === "running") {
      if (job.stopping) { return say("stopping", values); }
      return say(job.percent === null ? "started" : "running", values);
    }
    if (job.state === "done") { return say("done", values); }
    if (job.state === "lost") { return say("lost", values); }
    return say("cancelled", values);
  }

  // Only a change is written: a live region is read again each time it is written.
  function show(element, text) {
    if (element && element.textContent !== text) { element.textContent = text; }
  }

  function update(items) {
    var current = null;
    var ended = [];
    items.forEach(function (job) {
      if (!followed[job.id]) { return; }
      var item = document.getElementById("job-" + job.id);
      var state = item && item.querySelector("[data-job-state]");
      var words = job.state_label;
      if (job.state === "running" && job.percent !== null) { words += " (" + job.percent + " %)"; }
      if (job.outcome_label) { words += ": " + job.outcome_label; }
      show(state, words);
      if (job.state === "queued" || job.state === "running") {
        // The newest first: the card follows the latest test asked.
        if (current === null) { current = job; }
      } else {
        ended.push(job);
        if (item) {
          // Its cancel button means nothing any more.
          Array.prototype.forEach.call(item.querySelectorAll("[data-job-cancel]"), function (form) {
            form.hidden = true;
          });
        }
      }
    });
    if (current !== null) {
      show(live, sentence(current));
      if (bar) {
        bar.hidden = false;
        if (current.percent === null) { bar.removeAttribute("value"); } else { bar.value = current.percent; }
      }
      return true;
    }
    show(live, ended.map(sentence).join(" "));
    if (bar) { bar.hidden = true; }
    if (reload) { reload.hidden = false; }
    return false;
  }

  function poll() {
    window.fetch(box.dataset.jobsUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.redirected || type.indexOf("application/json") === -1) {
        // Logged out or the terminal locked: the next page load tells the person.
        return null;
      }
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (body) {
      if (body === null) { return; }
      if (update(body.items || [])) { window.setTimeout(poll, EVERY_MS); }
    }).catch(function () {
      show(live, say("offline", {}));
      window.setTimeout(poll, EVERY_MS * 5);
    });
  }

  poll();
})();

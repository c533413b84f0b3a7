/* Book checks: while the check shown waits or runs, poll its status.json every second and move the
 * progress bar; once it has ended (or failed) reload the page, which then shows the result. */
(function () {
  "use strict";

  var INTERVAL_MS = 1000;
  var section = document.querySelector("#book-check-result[data-status-url]");
  if (!section) return;
  var url = section.getAttribute("data-status-url");

  function show(doc) {
    section.setAttribute("data-check-status", doc.status);
    var label = section.querySelector('[data-field="label"]');
    if (label) label.textContent = doc.status === "queued" ? "Waiting for a worker\u2026" : "Checking\u2026";
    var done = section.querySelector('[data-field="done"]');
    if (done) done.textContent = doc.checks_done;
    var bar = section.querySelector('[data-field="progress-bar"]');
    if (bar) {
      bar.setAttribute("aria-valuenow", doc.progress);
      bar.querySelector("span").style.width = doc.progress + "%";
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (doc) {
        show(doc);
        if (doc.live) window.setTimeout(poll, INTERVAL_MS);
        else window.location.reload();
      })
      .catch(function () { window.setTimeout(poll, 3 * INTERVAL_MS); });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();

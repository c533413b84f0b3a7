/* Book checks: while the check shown waits or runs, poll its status.json every second and move the
 * progress bar; once it has ended, failed or been lost by its worker (the server stops calling it
 * live after BookCheck.LOST_AFTER) reload the page, which then shows which. */
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

  function stop(message) {
    var note = document.createElement("p");
    note.className = "checks-failed";
    note.setAttribute("role", "alert");
    note.textContent = message;
    section.append(note);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status >= 400 && response.status < 500) {
          // Signed out, no longer allowed, or the check is gone: asking again will not help.
          stop("The check's progress cannot be followed (HTTP " + response.status + "): reload the page.");
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (doc) {
        if (doc === null) return;
        show(doc);
        if (doc.live) window.setTimeout(poll, INTERVAL_MS);
        else window.location.reload();  // ended, failed or lost: the page shows which
      })
      .catch(function () { window.setTimeout(poll, 3 * INTERVAL_MS); });  // the server is busy or away: try again
  }

  window.setTimeout(poll, INTERVAL_MS);
})();

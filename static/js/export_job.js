/* Export page: while the export shown waits or runs, poll its status.json every second and move the
 * progress bar; once it has succeeded, failed or been lost by its worker (the server stops calling
 * it live after ExportJob.LOST_AFTER) reload the page, which then offers the file or says why not. */
(function () {
  "use strict";

  var INTERVAL_MS = 1000;
  var section = document.querySelector("#export-job[data-status-url]");
  if (!section) return;
  var url = section.getAttribute("data-status-url");

  function show(doc) {
    section.setAttribute("data-job-status", doc.status);
    var label = section.querySelector('[data-field="label"]');
    if (label) label.textContent = doc.status === "queued" ? "Waiting for a worker\u2026" : "Writing\u2026";
    var written = section.querySelector('[data-field="written"]');
    if (written) written.textContent = doc.rows_written;
    var total = section.querySelector('[data-field="total"]');
    if (total && doc.rows_total !== null) total.textContent = doc.rows_total;
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
          // Signed out, or the export is gone: asking again will not help.
          stop("The export's progress cannot be followed (HTTP " + response.status + "): reload the page.");
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (doc) {
        if (doc === null) return;
        show(doc);
        if (doc.live) window.setTimeout(poll, INTERVAL_MS);
        else window.location.reload();  // succeeded, failed or lost: the page shows which
      })
      .catch(function () { window.setTimeout(poll, 3 * INTERVAL_MS); });  // the server is busy or away: try again
  }

  window.setTimeout(poll, INTERVAL_MS);
})();

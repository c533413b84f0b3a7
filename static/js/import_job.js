/* Import job page: while the import waits or runs, poll its status.json every second and show the
 * rows read and the progress bar; once it has ended (or its worker was lost) reload the page, which
 * then shows the result or every error. */
(function () {
  "use strict";

  var INTERVAL_MS = 1000;
  var section = document.querySelector("#import-job[data-status-url]");
  if (!section) return;
  var url = section.getAttribute("data-status-url");

  function show(doc) {
    section.setAttribute("data-job-status", doc.status);
    var label = section.querySelector('[data-field="label"]');
    if (label) label.textContent = doc.status === "queued" ? "Waiting for a worker\u2026" : "Importing\u2026";
    var rows = section.querySelector('[data-field="rows"]');
    if (rows) rows.textContent = doc.rows_read;
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
          stop("The import's progress cannot be followed (HTTP " + response.status + "): reload the page.");
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (doc) {
        if (doc === null) return;
        show(doc);
        if (doc.live) window.setTimeout(poll, INTERVAL_MS);
        else window.location.reload();
      })
      .catch(function () { window.setTimeout(poll, 3 * INTERVAL_MS); });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();

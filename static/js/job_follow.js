/* Follows a job the page shows (a book check, an import, an export) while it waits or runs: polls
 * its status.json every second, shows the label, the counts and the progress bar, and once the job
 * is no longer live (ended, failed, or lost by its worker: the server stops calling it live after
 * the job's LOST_AFTER) reloads the page, which then shows the result. A 4xx answer (signed out, no
 * longer allowed, the job gone) stops the polling with a message; anything else is retried slower.
 *
 * One table says what differs per page: the section, its status attribute, the running label, the
 * noun used in messages, and which [data-field] shows which field of the status document. */
(function () {
  "use strict";

  var INTERVAL_MS = 1000;
  var PAGES = [
    { section: "#book-check-result", statusAttr: "data-check-status", running: "Checking\u2026", noun: "check",
      fields: { done: "checks_done" } },
    { section: "#import-job", statusAttr: "data-job-status", running: "Importing\u2026", noun: "import",
      fields: { rows: "rows_read" } },
    { section: "#export-job", statusAttr: "data-job-status", running: "Writing\u2026", noun: "export",
      fields: { written: "rows_written", total: "rows_total" } }
  ];

  function follow(page, section) {
    var url = section.getAttribute("data-status-url");

    function show(doc) {
      section.setAttribute(page.statusAttr, doc.status);
      var label = section.querySelector('[data-field="label"]');
      if (label) label.textContent = doc.status === "queued" ? "Waiting for a worker\u2026" : page.running;
      Object.keys(page.fields).forEach(function (field) {
        var node = section.querySelector('[data-field="' + field + '"]');
        var value = doc[page.fields[field]];
        if (node && value !== null && value !== undefined) node.textContent = value;
      });
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
            // Signed out, no longer allowed, or the job is gone: asking again will not help.
            stop("The " + page.noun + "'s progress cannot be followed (HTTP " + response.status + "): reload the page.");
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
  }

  PAGES.forEach(function (page) {
    var section = document.querySelector(page.section + "[data-status-url]");
    if (section) follow(page, section);
  });
})();

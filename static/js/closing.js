/* Closing and adjustment: keeps a live run's session up to date without reloading the page.
 *
 * Any element with a non-empty data-status-url (the run page's session, a live row of the overview)
 * polls that status.json every second while the run is queued, running or pausing, and fills the
 * [data-field] elements inside it from the document (closing.selectors.run_status). Elements with
 * data-show-when="status status ..." are shown only in those states ("stuck" too: a live run that
 * has not moved for the stall time). Polling stops when the run
 * is no longer live (and its book checks are shown); the page itself is never reloaded. When the
 * run ends, the "queued" message (class run-queued) is removed. */
(function () {
  "use strict";

  var INTERVAL_MS = 1000;

  function text(node, value) {
    node.textContent = value === null || value === undefined || value === "" ? "\u2014" : String(value);
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return null;
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min " + (seconds % 60) + " s";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  var renderers = {
    status: function (node, doc) {
      node.textContent = doc.status_label;
      node.className = "status status-" + doc.status;
    },
    "progress-bar": function (node, doc) {
      node.setAttribute("aria-valuenow", doc.progress);
      node.title = doc.progress + "%";
      var bar = node.querySelector("span");
      if (bar) bar.style.width = doc.progress + "%";
    },
    eta: function (node, doc) { text(node, duration(doc.eta_seconds)); },
    first_warnings: function (node, doc) {
      node.replaceChildren.apply(node, doc.first_warnings.map(function (entry) {
        var item = document.createElement("li");
        if (entry.transaction || entry.item) {
          var link = document.createElement("a");
          link.href = entry.transaction ? entry.transaction_url : entry.item_url;
          link.textContent = entry.transaction || entry.item;
          item.append(link, ": ");
        }
        item.append(entry.message);
        return item;
      }));
    },
    // The book checks, rendered by the server (reports/_checks.html) once the run has ended.
    checks_html: function (node, doc) {
      if (doc.checks_html !== null && doc.checks_html !== undefined) node.innerHTML = doc.checks_html;
    },
    voucher: function (node, doc) {
      if (!doc.voucher) { text(node, null); return; }
      var link = document.createElement("a");
      link.href = doc.voucher_url;
      link.textContent = doc.voucher;
      node.replaceChildren(link);
    }
  };

  function apply(root, doc) {
    root.setAttribute("data-status", doc.status);
    root.querySelectorAll("[data-field]").forEach(function (node) {
      var field = node.getAttribute("data-field");
      if (renderers[field]) renderers[field](node, doc);
      else if (field in doc) text(node, doc[field]);
    });
    // "stuck": queued or running without progress for the stall time (Resume is offered then too).
    var states = doc.stuck ? [doc.status, "stuck"] : [doc.status];
    root.querySelectorAll("[data-show-when]").forEach(function (node) {
      var wanted = node.getAttribute("data-show-when").split(" ");
      node.hidden = !states.some(function (state) { return wanted.indexOf(state) >= 0; });
    });
  }

  // The "… queued." message of the page that started the run is out of date once the run ends.
  function ended() {
    document.querySelectorAll(".message.run-queued").forEach(function (node) { node.remove(); });
  }

  function follow(root) {
    var url = root.getAttribute("data-status-url");
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (doc) {
          apply(root, doc);
          if (!doc.live) ended();
          // After the run, keep asking a little longer until its book checks are stored.
          if (doc.live || doc.checks_pending) window.setTimeout(poll, INTERVAL_MS);
        })
        .catch(function () {
          window.setTimeout(poll, INTERVAL_MS * 5); // the server restarted or the network hiccuped: keep trying, slower
        });
    }
    window.setTimeout(poll, INTERVAL_MS);
  }

  document.querySelectorAll("[data-status-url]").forEach(function (root) {
    if (root.getAttribute("data-status-url")) follow(root);
  });
})();

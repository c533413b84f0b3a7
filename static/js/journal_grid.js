/* The journal lines grid (issue #17, point 11): a line not posted yet is edited in place.
 *
 * "Edit" on a line (data-inline-edit) asks the server for the page's own edit form (?edit=N, the
 * no-JavaScript way, which keeps working) and puts each of its fields into the line's cell of the
 * same name (data-col="date", "qty", ...), with the field's errors under it. Save sends the form as
 * the page would (the view changes the line through journal_line_change): when it is refused the
 * answer's form is put back into the line, errors and typed values included; when it is saved the
 * lines table (amounts and totals) is taken from the page the server answers with. */
(function () {
  "use strict";

  var parser = new DOMParser();

  function page(html) {
    return parser.parseFromString(html, "text/html");
  }

  function fieldName(box) {
    var match = /(?:^|\s)field-(\w+)/.exec(box.className);
    return match ? match[1] : null;
  }

  // The form of an answered page, placed into the row of line `number`.
  function openEditor(row, number, answered) {
    var source = answered.querySelector("#line-form form");
    if (!source) return false;
    var table = row.closest("table");
    closeEditor(table);
    var formId = "inline-line-" + number;
    var saved = [];
    row.querySelectorAll("td").forEach(function (cell) { saved.push([cell, cell.innerHTML]); });
    row.classList.add("editing", "inline-editing");

    var form = document.createElement("form");
    form.id = formId;
    form.method = "post";
    form.action = source.getAttribute("action");
    form.noValidate = true;
    source.querySelectorAll('input[type="hidden"]').forEach(function (hidden) { form.appendChild(hidden.cloneNode()); });

    var filled = {};
    var leftovers = [];
    source.querySelectorAll(".form-grid > div").forEach(function (box) {
      var name = fieldName(box);
      if (!name) return;
      var label = box.querySelector("label");
      var controls = box.querySelectorAll("input, select, textarea");
      var errors = box.querySelector(".errorlist");
      var cell = row.querySelector('td[data-col~="' + name + '"]');
      controls.forEach(function (control) {
        control.setAttribute("form", formId);
        control.id = "inline-" + number + "-" + (control.id || control.name);
        if (label) control.setAttribute("aria-label", label.textContent.trim() + ", line " + number);
      });
      if (!cell) {
        leftovers.push(box);
        return;
      }
      if (!filled[cell.dataset.col]) {
        cell.innerHTML = "";
        filled[cell.dataset.col] = true;
      }
      controls.forEach(function (control) { cell.appendChild(control); });
      if (errors) cell.appendChild(errors);
    });

    var actions = row.querySelector('td[data-col="actions"]');
    actions.innerHTML = "";
    actions.appendChild(form);
    var save = document.createElement("button");
    save.type = "submit";
    save.className = "button primary";
    save.setAttribute("form", formId);
    save.textContent = "Save";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "button";
    cancel.textContent = "Cancel";
    actions.append(save, " ", cancel);

    var general = source.querySelector(":scope > .errorlist");
    var extra = null;
    if (general || leftovers.length) {
      extra = document.createElement("tr");
      extra.className = "inline-editing line-error";
      var cell = document.createElement("td");
      cell.colSpan = row.children.length;
      if (general) cell.appendChild(general);
      if (leftovers.length) {
        var grid = document.createElement("div");
        grid.className = "form-grid";
        leftovers.forEach(function (box) { grid.appendChild(box); });
        cell.appendChild(grid);
      }
      extra.appendChild(cell);
      row.after(extra);
    }

    table.inlineEditor = function () {
      saved.forEach(function (pair) { pair[0].innerHTML = pair[1]; });
      row.classList.remove("editing", "inline-editing");
      if (extra) extra.remove();
      table.inlineEditor = null;
    };
    cancel.addEventListener("click", function () { closeEditor(table); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(row, number, form, save);
    });
    var first = row.querySelector("[aria-invalid], .invalid") || row.querySelector("input:not([type=hidden]), select");
    if (first) first.focus();
    return true;
  }

  function closeEditor(table) {
    if (table && table.inlineEditor) table.inlineEditor();
  }

  function submit(row, number, form, save) {
    save.disabled = true;
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (response) {
        return response.text().then(function (html) { return {response: response, answered: page(html)}; });
      })
      .then(function (result) {
        if (result.response.redirected && result.response.ok) {
          replaceFromPage(result.answered);
        } else if (!openEditor(row, number, result.answered)) {
          window.location.href = form.action + "?edit=" + number + "#line-form";
        }
      })
      .catch(function () { save.disabled = false; });
  }

  // After a save: the lines table, the messages and the Post confirmation's text from the new page.
  function replaceFromPage(answered) {
    var fresh = answered.getElementById("journal-lines");
    var current = document.getElementById("journal-lines");
    if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    var messages = answered.querySelector(".messages");
    var shown = document.querySelector(".messages");
    if (messages && shown) shown.replaceWith(document.importNode(messages, true));
    else if (messages) document.querySelector("main").prepend(document.importNode(messages, true));
    var post = answered.querySelector("[data-confirm-yes][data-confirm]");
    var button = document.querySelector("[data-confirm-yes][data-confirm]");
    if (post && button) button.setAttribute("data-confirm", post.getAttribute("data-confirm"));
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("#journal-lines a[data-inline-edit]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    var row = link.closest("tr");
    var number = link.dataset.inlineEdit;
    fetch(link.href, {credentials: "same-origin"})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (!openEditor(row, number, page(html))) window.location.href = link.href;
      })
      .catch(function () { window.location.href = link.href; });
  });
}());

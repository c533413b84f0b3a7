/* Confirmation before a step that cannot be taken back by editing (issue #17, point 6): Close,
 * Post (journal), Reverse.
 *
 * A submit button (or form) with data-confirm="text" asks first, in a modal <dialog>. {name} in the
 * text is replaced by the value of the form's field of that name, or by a figure from the JSON at
 * data-confirm-count-url (asked with the form's fields as query string, e.g. {items}). With
 * data-confirm-by="field", the text is data-confirm-<checked value> when there is one (the Reverse
 * dialog's choices). data-confirm-yes labels the confirming button. Confirmed, the form is sent as
 * it would have been; cancelled, nothing is sent. */
(function () {
  "use strict";

  function fill(text, form, figures) {
    return text.replace(/\{(\w+)\}/g, function (match, name) {
      if (figures && figures[name] !== undefined && figures[name] !== null) return String(figures[name]);
      var field = form.elements[name];
      if (field && field.value) return field.value;
      return name === "items" ? "all" : match;
    });
  }

  function ask(message, yesLabel, onYes) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-text");
    var text = document.createElement("p");
    text.id = "confirm-text";
    text.textContent = message;
    var bar = document.createElement("p");
    bar.className = "toolbar";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "button primary";
    yes.textContent = yesLabel || "Confirm";
    var no = document.createElement("button");
    no.type = "button";
    no.className = "button";
    no.textContent = "Cancel";
    bar.append(yes, no);
    dialog.append(text, bar);
    document.body.append(dialog);
    function close() { dialog.close(); dialog.remove(); }
    no.addEventListener("click", close);
    dialog.addEventListener("cancel", function () { dialog.remove(); });
    yes.addEventListener("click", function () { close(); onYes(); });
    dialog.showModal();
    no.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var source = button && button.hasAttribute("data-confirm") ? button
      : (form.hasAttribute("data-confirm") ? form : null);
    if (!source || form.dataset.confirmed === "1") return;
    event.preventDefault();
    var text = source.getAttribute("data-confirm");
    var by = source.getAttribute("data-confirm-by");
    if (by) {
      var checked = form.querySelector('[name="' + by + '"]:checked');
      if (checked && source.hasAttribute("data-confirm-" + checked.value)) text = source.getAttribute("data-confirm-" + checked.value);
    }
    var url = source.getAttribute("data-confirm-count-url");
    var data = new FormData(form);
    data.delete("csrfmiddlewaretoken"); // a GET: the token stays out of URLs and logs
    var figures = url
      ? fetch(url + "?" + new URLSearchParams(data).toString(),
              { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : {}; })
          .catch(function () { return {}; })
      : Promise.resolve({});
    figures.then(function (found) {
      ask(fill(text, form, found), fill(source.getAttribute("data-confirm-yes") || "Confirm", form, found), function () {
        form.dataset.confirmed = "1";
        if (button) form.requestSubmit(button); else form.submit();
      });
    });
  });
})();

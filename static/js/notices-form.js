// The question builder of the circular form: 「質問を増やす」 adds an empty row in the page.
// Without JavaScript the same button sends the form back with one more row (nothing is saved).
(function () {
  "use strict";
  var button = document.querySelector('button[name="add_question"]');
  var list = document.querySelector(".question-rows");
  if (!button || !list) return;
  var MAX_ROWS = 20;
  var ATTRIBUTES = ["name", "id", "for", "aria-describedby"];

  button.addEventListener("click", function (event) {
    var rows = list.querySelectorAll(".question-row");
    if (rows.length === 0 || rows.length >= MAX_ROWS) return; // the server answers as usual
    event.preventDefault();
    var index = rows.length;
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    copy.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    copy.querySelectorAll("*").forEach(function (el) {
      ATTRIBUTES.forEach(function (attribute) {
        var value = el.getAttribute(attribute);
        if (!value) return;
        value = value.replace(/questions-\d+-/g, "questions-" + index + "-");
        if (attribute === "aria-describedby" && /-error$/.test(value)) {
          el.removeAttribute(attribute);
        } else {
          el.setAttribute(attribute, value);
        }
      });
    });
    copy.querySelectorAll("input[type=text], input[type=number], textarea").forEach(function (el) {
      el.value = "";
    });
    copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    copy.querySelectorAll("input[type=checkbox]").forEach(function (el) { el.checked = true; });
    var legend = copy.querySelector("legend");
    if (legend) legend.textContent = legend.textContent.replace(/\d+/, String(index + 1));
    list.appendChild(copy);
    var first = copy.querySelector("input[type=text]");
    if (first) first.focus();
  });
})();

// The meeting form's agenda: "Add agenda item" appends a fresh row of the Django formset.
(function () {
  "use strict";
  function addRow() {
    var total = document.getElementById("id_agenda-TOTAL_FORMS");
    var template = document.getElementById("agenda-empty-row");
    var rows = document.getElementById("agenda-rows");
    if (!total || !template || !rows) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var input = rows.lastElementChild && rows.lastElementChild.querySelector("input[type=text]");
    if (input) input.focus();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("add-agenda-item");
    if (button) button.addEventListener("click", addRow);
  });
})();

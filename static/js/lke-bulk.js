// LKE list of the year: "select all" per office table and the count of selected worksheets for
// the bulk steps. Without JavaScript each worksheet is still ticked on its own.
(function () {
  "use strict";

  function count(form) {
    var n = form.querySelectorAll("input[name=worksheets]:checked").length;
    form.querySelectorAll("[data-bulk-count]").forEach(function (el) { el.textContent = n; });
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || form.id !== "lke-bulk") return;
    if (event.target.matches("[data-bulk-all]")) {
      var table = event.target.closest("table");
      table.querySelectorAll("input[name=worksheets]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    count(form);
  });
})();

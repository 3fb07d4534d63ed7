// Lists readable on a phone: below 576 px a `table.table-stack` shows each row as a block in
// which every cell carries its column's header. The headers are read from the table's <thead>
// here (data-label on each cell), when the page loads and again after htmx swaps a table in.
(function () {
  "use strict";

  function label(root) {
    root.querySelectorAll("table.table-stack").forEach(function (table) {
      var rows = table.tHead ? table.tHead.rows : [];
      if (!rows.length) return;
      var heads = [];
      Array.prototype.forEach.call(rows[rows.length - 1].cells, function (th) {
        for (var i = 0; i < (th.colSpan || 1); i++) heads.push(th.textContent.trim());
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (tr) {
          var column = 0;
          Array.prototype.forEach.call(tr.cells, function (cell) {
            if (!cell.hasAttribute("data-label") && heads[column] && cell.colSpan === 1) {
              cell.setAttribute("data-label", heads[column]);
            }
            column += cell.colSpan || 1;
          });
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { label(document); });
  document.addEventListener("htmx:afterSettle", function () { label(document); });
})();

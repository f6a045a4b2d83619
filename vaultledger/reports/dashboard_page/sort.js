"use strict";
// Sortable tables: a click on a column's button sorts the rows by that column, again to reverse.
// Cells carry their exact value in data-sort; rows keep their order among equal values.
for (const table of document.querySelectorAll("table.sortable")) {
  const headers = Array.from(table.tHead.rows[0].cells);
  headers.forEach((header, column) => {
    const button = header.querySelector("button");
    if (!button) return;
    button.addEventListener("click", () => {
      const descending = header.getAttribute("aria-sort") !== "descending";
      for (const other of headers) other.removeAttribute("aria-sort");
      header.setAttribute("aria-sort", descending ? "descending" : "ascending");
      sortRows(table.tBodies[0], column, header.dataset.type === "number", descending);
    });
  });
}

function sortRows(body, column, numeric, descending) {
  const keyed = Array.from(body.rows, (row, index) => [row.cells[column].dataset.sort ?? "", index, row]);
  const direction = descending ? -1 : 1;
  keyed.sort((a, b) => {
    const order = numeric ? Number(a[0]) - Number(b[0]) : a[0].localeCompare(b[0]);
    return order !== 0 ? direction * order : a[1] - b[1];
  });
  for (const [, , row] of keyed) body.appendChild(row);
}

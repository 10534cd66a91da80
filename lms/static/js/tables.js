/* Pembina tables on phones (issue 16 item 3). A table marked data-cards shows each row as a
   card under the phone breakpoint (pembina.css, "tables on phones"): this copies each column
   header's text into data-label on the cells of its column, which the CSS writes before the
   value. Without JavaScript every table stays a keyboard-focusable scroll region with a
   visible hint, so nothing is hidden either way. */
(function () {
  "use strict";

  function text(cell) {
    return (cell.textContent || "").replace(/\s+/g, " ").trim();
  }

  function labelCells(table) {
    var head = table.tHead;
    if (!head || !head.rows.length) { return; }
    var names = [];
    var last = head.rows[head.rows.length - 1];
    for (var i = 0; i < last.cells.length; i++) {
      for (var span = 0; span < (last.cells[i].colSpan || 1); span++) { names.push(text(last.cells[i])); }
    }
    for (var b = 0; b < table.tBodies.length; b++) {
      var rows = table.tBodies[b].rows;
      for (var r = 0; r < rows.length; r++) {
        var column = 0;
        for (var c = 0; c < rows[r].cells.length; c++) {
          var cell = rows[r].cells[c];
          var wide = (cell.colSpan || 1) > 1;
          if (!cell.hasAttribute("data-label")) { cell.setAttribute("data-label", wide ? "" : (names[column] || "")); }
          column += cell.colSpan || 1;
        }
      }
    }
    table.classList.add("is-cards");
  }

  function asCards(table) {
    var row = table.querySelector("tbody tr");
    return !!row && window.getComputedStyle(row).display !== "table-row";
  }

  /* The "swipe for more columns" hint only where the table really is wider than its region. */
  function updateHints() {
    var hints = document.querySelectorAll(".table-hint");
    for (var i = 0; i < hints.length; i++) {
      var wrap = hints[i].nextElementSibling;
      if (!wrap || !wrap.classList.contains("table-wrap")) { continue; }
      var table = wrap.querySelector("table");
      hints[i].hidden = !table || asCards(table) || wrap.scrollWidth <= wrap.clientWidth + 1;
    }
  }

  /* Tables and code blocks in lesson text scroll on their own when wider than the column:
     make those reachable by keyboard too (axe: scrollable-region-focusable). */
  function focusScrollers() {
    var boxes = document.querySelectorAll(".prose table, .prose pre");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].scrollWidth > boxes[i].clientWidth + 1 && !boxes[i].hasAttribute("tabindex")) {
        boxes[i].setAttribute("tabindex", "0");
      }
    }
  }

  var tables = document.querySelectorAll("table[data-cards]");
  for (var t = 0; t < tables.length; t++) { labelCells(tables[t]); }
  updateHints();
  focusScrollers();
  var timer = null;
  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { updateHints(); focusScrollers(); }, 150);
  }
  window.addEventListener("resize", later);
  var preview = document.getElementById("preview");  /* the editor's live preview is replaced as one types */
  if (preview && window.MutationObserver) { new MutationObserver(later).observe(preview, { childList: true }); }
}());

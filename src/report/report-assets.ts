// The access report's style and script, inlined into the page: it loads nothing from anywhere.

/** REPORT_STYLE lays the report out for screens and for print, with the system's own fonts. */
export const REPORT_STYLE = `
:root { --line: #d5dbe3; --muted: #56606c; --accent: #1f4e8c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1b1f24; background: #fff; }
header.bar { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; align-items: center; gap: .4rem 1.5rem; padding: .6rem 1.5rem; background: #102a43; color: #fff; }
header h1 { margin: 0; font-size: 1.15rem; }
header .meta { margin: 0; color: #c5d2e0; font-size: .85rem; }
header .filter { margin-left: auto; font-size: .85rem; }
header input { width: 22rem; max-width: 70vw; margin-left: .4rem; padding: .3rem .5rem; border: 1px solid #9fb3c8; border-radius: 4px; font: inherit; font-size: .95rem; }
nav { padding: .5rem 1.5rem; border-bottom: 1px solid var(--line); font-size: .9rem; }
nav a { margin-right: 1rem; }
a { color: var(--accent); }
main { max-width: 1500px; padding: 0 1.5rem 3rem; }
section { margin-top: 1.75rem; }
section.lazy { content-visibility: auto; contain-intrinsic-size: auto 3000px; }
h2 { margin: 0 0 .5rem; padding-bottom: .2rem; border-bottom: 2px solid var(--accent); font-size: 1.2rem; }
h3 { font-size: 1rem; }
.count { color: var(--muted); font-size: .85rem; font-weight: normal; }
.muted, small { color: var(--muted); }
small { font-size: .85em; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: .3rem .5rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: #eef2f7; }
th button { padding: 0; border: 0; background: none; color: inherit; font: inherit; font-weight: 600; cursor: pointer; }
th[aria-sort=ascending] button::after { content: " \\25B2"; font-size: .7em; }
th[aria-sort=descending] button::after { content: " \\25BC"; font-size: .7em; }
tbody tr:nth-child(even) { background: #f8fafc; }
tr:target { outline: 2px solid #e08a00; background: #fff5dc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sev { display: inline-block; min-width: 4.2rem; padding: 0 .45rem; border-radius: 999px; color: #fff; font-size: .8rem; font-weight: 600; text-align: center; }
.sev.critical { background: #6d1414; }
.sev.high { background: #c02626; }
.sev.medium { background: #a85d00; }
.sev.low { background: #55687a; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: 1rem; }
.card { padding: .75rem 1rem; border: 1px solid var(--line); border-radius: 6px; }
.card h3 { margin: 0; }
.card table th, .card table td { padding: .15rem .4rem; border: 0; }
.figure { margin: .2rem 0; font-size: 2rem; font-weight: 700; }
@media print {
  body { font-size: 9.5pt; }
  header.bar { position: static; padding: 0 0 .5rem; background: none; color: #000; }
  header .meta { color: #333; }
  header .filter, nav { display: none; }
  main { max-width: none; padding: 0; }
  section.lazy { content-visibility: visible; }
  a { color: inherit; text-decoration: none; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  tbody tr:nth-child(even) { background: none; }
  .sev { border: 1px solid #000; background: none !important; color: #000; }
}
`;

/**
 * REPORT_SCRIPT filters every table by the words typed (each must appear in a row) and sorts a
 * table by the column whose header is clicked. Without it the page still reads in full.
 */
export const REPORT_SCRIPT = `
"use strict";
(function () {
  var input = document.getElementById("filter");
  var tables = Array.prototype.slice.call(document.querySelectorAll("table.data"));
  var texts = new Map();
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  input.parentNode.hidden = false;

  function textOf(row) {
    var text = texts.get(row);
    if (text === undefined) texts.set(row, (text = row.textContent.toLowerCase()));
    return text;
  }

  function filter() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    tables.forEach(function (table) {
      var rows = table.tBodies[0].rows;
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var text = textOf(rows[i]);
        var match = words.every(function (word) { return text.indexOf(word) >= 0; });
        if (rows[i].hidden === match) rows[i].hidden = !match;
        if (match) shown++;
      }
      var count = document.querySelector('[data-count="' + table.id + '"]');
      if (count) count.textContent = words.length ? shown + " of " + rows.length : String(rows.length);
    });
  }

  var timer;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(filter, 120);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("th button");
    if (!button) return;
    var header = button.parentNode;
    var body = header.closest("table").tBodies[0];
    var column = header.cellIndex;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(header.parentNode.cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var keyed = Array.prototype.map.call(body.rows, function (row) {
      var cell = row.cells[column];
      return { row: row, key: cell ? cell.getAttribute("data-sort") || cell.textContent : "" };
    });
    keyed.sort(function (a, b) { return ascending ? collator.compare(a.key, b.key) : collator.compare(b.key, a.key); });
    var sorted = document.createDocumentFragment();
    keyed.forEach(function (item) { sorted.appendChild(item.row); });
    body.appendChild(sorted);
  });

  // Following a link to a row the filter hides clears the filter, so the row shows.
  function reveal() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.hidden) {
      input.value = "";
      filter();
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", reveal);
})();
`;

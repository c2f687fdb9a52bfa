"use strict";
// The findings table: filter and sort in place. Log text is attacker-controlled: this script
// only reads data-* attributes and textContent, moves existing rows and sets textContent and the
// hidden attribute; it never parses text as HTML. Allowed by the page's CSP through its hash.
(function () {
  var table = document.getElementById("ftable");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var form = document.getElementById("ffilters");
  var count = document.getElementById("fcount");
  var fields = ["sev", "family", "rule", "identity", "text", "open"].reduce(function (acc, k) {
    acc[k] = document.getElementById("f-" + k);
    return acc;
  }, {});
  var text = rows.map(function (r) { return r.textContent.toLowerCase(); });

  function apply() {
    var minRank = Number(fields.sev.value || 0);
    var family = fields.family.value;
    var rule = fields.rule.value;
    var identity = fields.identity.value;
    var needle = fields.text.value.trim().toLowerCase();
    var openOnly = fields.open.checked;
    var shown = 0;
    rows.forEach(function (r, i) {
      var d = r.dataset;
      var ok = Number(d.rank) >= minRank &&
        (!family || d.family === family) &&
        (!rule || d.rule === rule) &&
        (!identity || d.identity === identity) &&
        (!openOnly || d.suppressed !== "1") &&
        (!needle || text[i].indexOf(needle) !== -1);
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " findings shown";
  }

  var sortKey = null;
  var sortDir = 1;
  function sortBy(key, numeric) {
    sortDir = sortKey === key ? -sortDir : (numeric ? -1 : 1);
    sortKey = key;
    var order = rows.map(function (r, i) { return i; });
    order.sort(function (a, b) {
      var x = rows[a].dataset[key] || "";
      var y = rows[b].dataset[key] || "";
      var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return c * sortDir || a - b;
    });
    order.forEach(function (i) { body.appendChild(rows[i]); });
    Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-key]"), function (th) {
      th.setAttribute("aria-sort", th.dataset.key !== key ? "none" :
        (sortDir > 0 ? "ascending" : "descending"));
    });
  }

  Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-key]"), function (th) {
    th.querySelector("button").addEventListener("click", function () {
      sortBy(th.dataset.key, th.dataset.numeric === "1");
    });
  });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;

  // a click anywhere on a row opens its card
  body.addEventListener("click", function (e) {
    var row = e.target.closest("tr");
    var link = row && row.querySelector("a[href^='#']");
    if (link && e.target.tagName !== "A") { link.click(); }
  });

  // a link to a folded card (a finding, an agent) opens it, also when followed a second time
  function reveal(id) {
    var target = id && document.getElementById(id);
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") { el.open = true; }
    }
    if (target) { target.scrollIntoView(); }
  }
  function fromHash() { reveal(decodeURIComponent(window.location.hash.slice(1))); }
  document.addEventListener("click", function (e) {
    var link = e.target.closest("a[href^='#']");
    if (link) {
      var id = decodeURIComponent(link.getAttribute("href").slice(1));
      window.setTimeout(function () { reveal(id); }, 0);
    }
  });
  window.addEventListener("hashchange", fromHash);
  if (window.location.hash) { fromHash(); }
  apply();
})();

// cprof web UI: the little the pages do in the browser. Every number comes
// from the server (the reports); this only sorts the top table, submits the
// sample-type choice, and makes report_flame.c's SVG interactive.
"use strict";

(function controls() {
  var si = document.getElementById("si");
  if (si) si.addEventListener("change", function () { si.form.submit(); });
})();

// ---- top: sort by a column (click again to reverse) ----------------------

// measurement.Percentage: "%5.2f%%" from 1% up, "%5.2g%%" below, "100%".
function percentage(value, total) {
  var r = total ? Math.abs(value / total) * 100 : 0;
  if (r >= 99.95 && r <= 100.05) return "100%";
  if (r >= 1) return r.toFixed(2) + "%";
  return String(parseFloat(r.toPrecision(2))) + "%";
}

(function topTable() {
  var table = document.getElementById("top");
  if (!table) return;
  var total = Number(table.dataset.total);
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  rows.forEach(function (r, i) { r.dataset.order = i; });
  var headers = table.tHead.rows[0].cells;
  var current = null, descending = true;

  function key(row, k) {
    if (k === "name") return row.dataset.name;
    if (k === "sum") return -Number(row.dataset.order); // sum% grows down the report order
    return Number(row.dataset[k]);
  }
  function sortBy(th) {
    var k = th.dataset.key;
    descending = current === th ? !descending : k !== "name";
    current = th;
    rows.sort(function (a, b) {
      var x = key(a, k), y = key(b, k), c = x < y ? -1 : x > y ? 1 : 0;
      if (c === 0) c = Number(a.dataset.order) - Number(b.dataset.order);
      else if (descending) c = -c;
      return c;
    });
    var sum = 0;
    rows.forEach(function (r) {
      sum += Number(r.dataset.flat);
      r.cells[2].textContent = percentage(sum, total); // sum% follows the shown order
      tbody.appendChild(r);
    });
    Array.prototype.forEach.call(headers, function (h) { h.className = ""; });
    th.className = descending ? "sorted-desc" : "sorted-asc";
  }
  Array.prototype.forEach.call(headers, function (th) {
    th.addEventListener("click", function () { sortBy(th); });
  });
})();

// ---- call graph: natural size (scroll) or fitted to the window's width ----

(function callGraph() {
  var box = document.getElementById("graph"), fit = document.getElementById("graph-fit");
  if (!box || !fit) return;
  fit.addEventListener("click", function () {
    var on = box.classList.toggle("fit");
    fit.textContent = on ? "Natural size" : "Fit to width";
  });
})();

// ---- flame graph: zoom, search, details ----------------------------------

(function flameGraph() {
  var box = document.getElementById("flame");
  if (!box) return;
  var svg = box.querySelector("svg");
  if (!svg) return;
  var SVGNS = "http://www.w3.org/2000/svg";
  var width = svg.viewBox.baseVal.width, margin = 10, glyph = 7, height = 16;
  var detail = document.getElementById("flame-detail");
  var matched = document.getElementById("flame-matched");
  var search = document.getElementById("flame-search");

  // One record per frame: its <g>, <rect>, label, name and original box.
  var frames = [];
  Array.prototype.forEach.call(svg.querySelectorAll("g[data-value]"), function (g) {
    var rect = null, text = null, title = null;
    Array.prototype.forEach.call(g.children, function (c) {
      if (c.tagName === "rect") rect = c;
      else if (c.tagName === "text") text = c;
      else if (c.tagName === "title") title = c;
    });
    if (!rect || !title) return;
    var t = title.textContent, cut = t.lastIndexOf(" (");
    if (!text) {
      text = document.createElementNS(SVGNS, "text");
      text.setAttribute("y", Number(rect.getAttribute("y")) + height - 4);
      g.insertBefore(text, rect.nextSibling);
    }
    // v: the value the width stands for (with a base: grown + shrunk).
    var v = g.dataset.grown !== undefined ? Number(g.dataset.grown) + Number(g.dataset.shrunk)
                                          : Number(g.dataset.value);
    var f = { g: g, rect: rect, text: text, title: t, name: cut > 0 ? t.slice(0, cut) : t,
              x: Number(rect.getAttribute("x")), w: Number(rect.getAttribute("width")), v: v };
    g.frame = f;
    frames.push(f);
  });
  if (!frames.length) return;
  var root = frames[0];

  function place(f, x, w) {
    f.rect.setAttribute("x", x.toFixed(2));
    f.rect.setAttribute("width", w.toFixed(2));
    f.text.setAttribute("x", (x + 3).toFixed(2));
    var fits = Math.floor((w - 6) / glyph);
    f.text.textContent = fits < 3 ? "" : f.name.length <= fits ? f.name
                                         : f.name.slice(0, fits - 2) + "..";
  }

  // The zoomed frame and its callers span the width; its callees scale with
  // it; every other frame is hidden.
  function zoom(target) {
    var scale = (width - 2 * margin) / target.w;
    frames.forEach(function (f) {
      f.g.classList.remove("zoomed");
      if (f.g === target.g || f.g.contains(target.g)) {
        f.g.style.display = "";
        place(f, margin, width - 2 * margin);
      } else if (target.g.contains(f.g)) {
        f.g.style.display = "";
        place(f, margin + (f.x - target.x) * scale, f.w * scale);
      } else {
        f.g.style.display = "none";
      }
    });
    target.g.classList.add("zoomed");
  }

  svg.addEventListener("click", function (e) {
    var g = e.target.closest("g[data-value]");
    if (!g || !g.frame) return;
    zoom(g.frame === root ? root : g.frame);
  });
  svg.addEventListener("mouseover", function (e) {
    var g = e.target.closest("g[data-value]");
    if (g && g.frame) detail.textContent = g.frame.title;
  });
  document.getElementById("flame-reset").addEventListener("click", function () {
    zoom(root);
  });

  // Frames whose name matches turn magenta; the matched share counts each
  // stack once (a match inside a match is already in its caller's width).
  function highlight() {
    var re = null, pattern = search.value;
    frames.forEach(function (f) { f.g.classList.remove("match"); });
    matched.textContent = "";
    if (!pattern) return;
    try {
      re = new RegExp(pattern);
    } catch (err) {
      matched.textContent = "bad regexp: " + err.message;
      return;
    }
    var sum = 0;
    frames.forEach(function (f) {
      if (!re.test(f.name)) return;
      f.g.classList.add("match");
      var up = f.g.parentNode.closest("g.match");
      if (!up) sum += f.v;
    });
    matched.textContent = "Matched: " + percentage(sum, root.v);
  }
  search.addEventListener("input", highlight);
})();

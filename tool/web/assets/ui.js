// cprof web UI: the little the pages do in the browser. Every number comes
// from the server (the reports); this only sorts the top table, submits the
// sample-type choice, highlights searches, opens the refine menu (links to
// the same pages with f/i/h/s/sf set: every state is a URL), pans and zooms
// the call graph, and makes report_flame.c's SVG interactive.
"use strict";

(function controls() {
  var si = document.getElementById("si");
  if (si) si.addEventListener("change", function () { si.form.submit(); });
})();

// ---- saved configurations: open one, save the current one, delete one -----

(function configs() {
  var select = document.getElementById("config");
  if (!select) return;
  var view = location.pathname === "/" ? "/ui/" : location.pathname;
  var current = new URLSearchParams(location.search).toString();
  Array.prototype.forEach.call(select.options, function (o) {
    if (o.value && o.value === current) o.selected = true;
  });
  select.addEventListener("change", function () {
    if (select.value) location.href = view + "?" + select.value;
  });
  // A POST form (same origin, the page's token) to /ui/<action>.
  function post(action, name, withQuery) {
    var q = withQuery ? new URLSearchParams(location.search) : new URLSearchParams();
    q.set("config", name);
    q.set("t", select.dataset.token);
    q.set("back", view + (current ? "?" + current : ""));
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/ui/" + action + "?" + q.toString();
    document.body.appendChild(form);
    form.submit();
  }
  document.getElementById("config-save").addEventListener("click", function () {
    var name = window.prompt("Save the current settings as:");
    if (name) post("saveconfig", name, true);
  });
  document.getElementById("config-delete").addEventListener("click", function () {
    var o = select.options[select.selectedIndex];
    if (o && o.value) post("deleteconfig", o.textContent, false);
  });
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

// ---- refine menu: focus / ignore / hide / show / show_from on a function --

// The anchored regexp matching exactly name, as pprof builds it (^name$,
// metacharacters escaped; the same set as the server's regex_quote).
function exactRegexp(name) {
  return "^" + name.replace(/[.[\]{}()\\*+?^$|]/g, "\\$&") + "$";
}

// The URL of view (a path) with param set to re: focus and show_from
// replace their value, ignore/hide/show add an alternative to theirs. The
// other parameters stay, so the result is as shareable as the page.
function refinedURL(path, param, re) {
  var q = new URLSearchParams(location.search);
  var old = q.get(param);
  q.set(param, old && (param === "i" || param === "h" || param === "s") ? old + "|" + re : re);
  return path + "?" + q.toString();
}

var refineMenu = (function () {
  var menu = null;
  function close() {
    if (menu) menu.remove();
    menu = null;
  }
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  document.addEventListener("mousedown", function (e) {
    if (menu && !menu.contains(e.target)) close();
  });
  // Open the menu for function name at page coordinates (x, y).
  function open(name, x, y) {
    close();
    var re = exactRegexp(name);
    var view = location.pathname === "/" ? "/ui/" : location.pathname;
    menu = document.createElement("div");
    menu.id = "refine";
    menu.className = "refine";
    var head = document.createElement("div");
    head.className = "refine-name";
    head.textContent = name;
    menu.appendChild(head);
    [["focus", "f", "Focus", view], ["ignore", "i", "Ignore", view], ["hide", "h", "Hide", view],
     ["show", "s", "Show", view], ["show_from", "sf", "Show from", view],
     ["peek", "f", "Peek", "/ui/peek"], ["list", "f", "Source", "/ui/source"],
     ["disasm", "f", "Disassemble", "/ui/disasm"]]
      .forEach(function (a) {
        var link = document.createElement("a");
        link.id = "refine-" + a[0];
        link.textContent = a[2];
        link.href = refinedURL(a[3], a[1], re);
        menu.appendChild(link);
      });
    menu.style.left = x + "px";
    menu.style.top = y + "px";
    document.body.appendChild(menu);
    return menu;
  }
  return { open: open, close: close };
})();

// ---- search highlighting in the views without their own search box --------

(function search() {
  var input = document.getElementById("search");
  if (!input) return;
  var matched = document.getElementById("search-matched");
  // [element, text] pairs: top rows by function, graph nodes by function,
  // source and peek lines by their text.
  function items() {
    var out = [];
    document.querySelectorAll("#top tbody tr").forEach(function (tr) {
      out.push([tr, tr.dataset.name]);
    });
    document.querySelectorAll("#graph g.node").forEach(function (g) {
      if (g.dataset.name !== undefined) out.push([g, g.dataset.name]);
    });
    document.querySelectorAll("pre.source span.line").forEach(function (s) {
      out.push([s, s.textContent]);
    });
    document.querySelectorAll("#source .livesrc, #source .deadsrc, #source .nop")
      .forEach(function (s) { out.push([s, s.textContent]); });
    return out;
  }
  function highlight() {
    var re = null, all = items(), n = 0;
    all.forEach(function (it) { it[0].classList.remove("match"); });
    matched.textContent = "";
    if (!input.value) return;
    try {
      re = new RegExp(input.value);
    } catch (err) {
      matched.textContent = "bad regexp: " + err.message;
      return;
    }
    all.forEach(function (it) {
      if (re.test(it[1])) {
        it[0].classList.add("match");
        n++;
      }
    });
    matched.textContent = n + " matched";
  }
  input.addEventListener("input", highlight);
})();

// ---- top: a click on a row (not on its source link) opens the refine menu --

(function topRefine() {
  var table = document.getElementById("top");
  if (!table) return;
  table.tBodies[0].addEventListener("click", function (e) {
    if (e.target.closest("a")) return;
    var tr = e.target.closest("tr");
    if (!tr) return;
    table.querySelectorAll("tr.selected").forEach(function (r) { r.classList.remove("selected"); });
    tr.classList.add("selected");
    refineMenu.open(tr.dataset.name, e.pageX + 4, e.pageY + 4);
  });
})();

// ---- call graph: opens fitted (or centred on the root), pan, zoom, click ---

(function callGraph() {
  var box = document.getElementById("graph");
  if (!box) return;
  var svg = box.querySelector("svg");
  if (!svg) return;
  // graphviz's drawing area, in its user units (points).
  var vb0 = svg.viewBox.baseVal, full = { x: vb0.x, y: vb0.y, w: vb0.width, h: vb0.height };
  var view = { x: 0, y: 0, scale: 1 }; // user-space point at the box's top left, px per unit
  var W = 0, H = 0;

  // Function nodes carry their name (the tooltip is "name (cum)"); the
  // legend's node (title not N<id>) is not a function.
  svg.querySelectorAll("g.node").forEach(function (g) {
    var title = g.querySelector("title"), a = g.querySelector("a");
    if (!title || !/^N\d+$/.test(title.textContent) || !a) return;
    var tip = a.getAttribute("xlink:title") || a.getAttributeNS("http://www.w3.org/1999/xlink", "title") || "";
    var cut = tip.lastIndexOf(" (");
    g.dataset.name = cut > 0 ? tip.slice(0, cut) : tip;
  });

  function apply() {
    svg.setAttribute("viewBox", [view.x, view.y, W / view.scale, H / view.scale].join(" "));
  }
  function size() {
    W = box.clientWidth;
    H = Math.max(300, window.innerHeight - box.getBoundingClientRect().top - 12);
    box.style.height = H + "px";
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
  }
  // The root: the highest function node (graphviz ranks callers above callees).
  function rootBox() {
    var best = null;
    svg.querySelectorAll("g.node").forEach(function (g) {
      if (g.dataset.name === undefined) return;
      var b = g.getBBox();
      if (!best || b.y < best.y) best = b;
    });
    return best;
  }
  // Everything when it is readable at that size; otherwise readable, the
  // root centred at the top.
  var MIN_FIT = 0.45, MAX_FIT = 1.5;
  function fit() {
    var s = Math.min(W / full.w, H / full.h, MAX_FIT);
    if (s >= MIN_FIT) {
      view.scale = s;
      view.x = full.x - (W / s - full.w) / 2;
      view.y = full.y - (H / s - full.h) / 2;
    } else {
      var r = rootBox() || { x: full.x, y: full.y, width: full.w, height: 0 };
      // getBBox is in the graph group's units; graphviz's group only
      // translates, by the offset between its origin and the viewBox's.
      var t = svg.querySelector("g.graph").transform.baseVal.consolidate();
      var dx = t ? t.matrix.e : 0, dy = t ? t.matrix.f : 0;
      view.scale = MIN_FIT;
      view.x = r.x + dx + r.width / 2 - W / 2 / MIN_FIT;
      view.y = r.y + dy - 20 / MIN_FIT;
    }
    apply();
  }
  // Zoom by factor keeping the box point (px, py) where it is.
  function zoom(factor, px, py) {
    var s = Math.min(8, Math.max(0.05, view.scale * factor));
    view.x += px / view.scale - px / s;
    view.y += py / view.scale - py / s;
    view.scale = s;
    apply();
  }
  size();
  fit();
  box.dataset.ready = "1";
  window.addEventListener("resize", function () { size(); apply(); });
  document.getElementById("graph-fit").addEventListener("click", fit);
  document.getElementById("graph-zoom-in").addEventListener("click", function () { zoom(1.25, W / 2, H / 2); });
  document.getElementById("graph-zoom-out").addEventListener("click", function () { zoom(0.8, W / 2, H / 2); });
  box.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = box.getBoundingClientRect();
    zoom(Math.exp(-e.deltaY * 0.002), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });

  // Drag pans; a press and release without moving is a click on a node.
  var drag = null;
  box.addEventListener("mousedown", function (e) {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
    e.preventDefault();
  });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (!drag.moved) return;
    box.classList.add("dragging");
    view.x = drag.vx - dx / view.scale;
    view.y = drag.vy - dy / view.scale;
    apply();
  });
  window.addEventListener("mouseup", function (e) {
    if (!drag) return;
    var moved = drag.moved;
    drag = null;
    box.classList.remove("dragging");
    if (moved) return;
    var g = e.target.closest && e.target.closest("g.node");
    svg.querySelectorAll("g.node.selected").forEach(function (n) { n.classList.remove("selected"); });
    if (!g || g.dataset.name === undefined) {
      refineMenu.close();
      return;
    }
    g.classList.add("selected");
    refineMenu.open(g.dataset.name, e.pageX + 4, e.pageY + 4);
  });
  // graphviz's nodes are links (<a xlink:title>) without a target: no navigation.
  box.addEventListener("click", function (e) { e.preventDefault(); });
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

// ---- source (weblist): a click on a line shows or hides its instructions --

(function weblist() {
  var source = document.getElementById("source");
  if (!source) return;
  source.addEventListener("click", function (e) {
    var line = e.target.closest(".livesrc");
    var asm = line && line.nextElementSibling;
    if (asm && asm.classList.contains("asm")) {
      asm.classList.toggle("open");
      line.classList.toggle("expanded");
    }
  });
})();

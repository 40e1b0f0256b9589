// cprof web UI: the Timeline of a trace (/ui/timeline). The server hands a
// compact JSON (/ui/timeline.json, tool/trace/trace_timeline.c): threads
// with lanes of slices (CPU flame chart, state, spans), instants, counters.
// This draws it on one canvas: a time axis, the counter tracks, then per
// thread a header row (its name and tid, creation/exit and other instants)
// and its lanes. Drag pans, Ctrl+wheel (or the buttons) zooms around the
// pointer, the wheel scrolls the threads; hovering shows a slice's name,
// duration, arguments (and a CPU slice's stack); the search box highlights
// the slices whose name matches. Nothing here is fetched from elsewhere.
"use strict";

(function timeline() {
  var canvas = document.getElementById("timeline");
  if (!canvas) return;
  var box = document.getElementById("timeline-box");
  var tip = document.getElementById("timeline-tip");
  var info = document.getElementById("timeline-info");
  var searchBox = document.getElementById("timeline-search");
  var matched = document.getElementById("timeline-matched");
  var rangeText = document.getElementById("timeline-range");
  var ctx = canvas.getContext("2d");

  var GUTTER = 230, AXIS = 24, ROW = 14, STATE_ROW = 10, HEAD = 16, COUNTER = 36, GAP = 4;
  var D = null, names = [], argsTable = [], items = [], contentHeight = 0;
  var view = { t0: 0, t1: 1 }, scrollY = 0, search = null, nMatches = 0;

  // ---- formatting ---------------------------------------------------------
  function fmtTime(us) {
    if (us === 0) return "0";
    var a = Math.abs(us);
    if (a >= 1e6) return (us / 1e6).toFixed(a >= 1e7 ? 2 : 3) + " s";
    if (a >= 1e3) return (us / 1e3).toFixed(a >= 1e4 ? 1 : 2) + " ms";
    return us.toFixed(a >= 10 ? 1 : 3) + " µs";
  }
  function fmtValue(v, key) {
    if (key === "bytes") {
      var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
      while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
      return (i ? v.toFixed(1) : String(v)) + " " + u[i];
    }
    return String(Math.round(v * 1000) / 1000);
  }
  function hue(s) {
    var h = 0;
    for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
    return h % 360;
  }
  function stateColor(name) {
    if (name === "running") return "#3c9a3c";
    if (name === "not running") return "#c8c8c8";
    return "hsl(" + (20 + hue(name) % 30) + ",85%,60%)"; // blocked in a call
  }

  // ---- the model ----------------------------------------------------------
  // items: what is drawn top to bottom below the axis, each {y, h, kind, ...}.
  function build() {
    names = D.names;
    argsTable = D.args;
    var y = 0;
    (D.counters || []).forEach(function (c) {
      var max = 0;
      for (var i = 1; i < c.points.length; i += 2) max = Math.max(max, c.points[i]);
      items.push({ kind: "counter", y: y, h: COUNTER, c: c, max: max });
      y += COUNTER + GAP;
    });
    D.threads.forEach(function (t) {
      t.label = t.name.indexOf("(" + t.tid + ")") >= 0 || t.name === "tid " + t.tid ? t.name
        : t.name + " (" + t.tid + ")";
      var instants = [];
      for (var i = 0; i + 2 < t.instants.length; i += 3)
        instants.push({ ts: t.instants[i], name: names[t.instants[i + 1]], args: t.instants[i + 2] });
      t.top = y;
      items.push({ kind: "head", y: y, h: HEAD, t: t, instants: instants });
      y += HEAD;
      t.cpu = 0;
      t.lanes.forEach(function (l) {
        var rows = [];
        for (var i = 0; i + 4 < l.slices.length; i += 5) {
          var s = { ts: l.slices[i], dur: l.slices[i + 1], depth: l.slices[i + 2],
                    name: names[l.slices[i + 3]], args: l.slices[i + 4] };
          (rows[s.depth] = rows[s.depth] || []).push(s);
          if (l.kind === "cpu" && s.depth === 0) t.cpu += s.dur;
        }
        for (var d = 0; d < rows.length; d++) rows[d] = rows[d] || [];
        if (!rows.length) rows.push([]);
        var h = l.kind === "state" ? STATE_ROW : ROW;
        for (var d2 = 0; d2 < rows.length; d2++) {
          items.push({ kind: "row", lane: l.kind, y: y, h: h, t: t, depth: d2, slices: rows[d2],
                       rows: rows });
          y += h;
        }
      });
      y += GAP;
    });
    contentHeight = y;
  }

  // The first slice of a row (sorted, disjoint) ending after t.
  function firstEndingAfter(slices, t) {
    var lo = 0, hi = slices.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (slices[mid].ts + slices[mid].dur < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // ---- drawing --------------------------------------------------------------
  function width() { return canvas.width / (window.devicePixelRatio || 1); }
  function height() { return canvas.height / (window.devicePixelRatio || 1); }
  function xOf(t) { return GUTTER + (t - view.t0) / (view.t1 - view.t0) * (width() - GUTTER); }
  function tOf(x) { return view.t0 + (x - GUTTER) / (width() - GUTTER) * (view.t1 - view.t0); }

  function resize() {
    var dpr = window.devicePixelRatio || 1;
    var w = Math.max(400, box.clientWidth);
    var top = box.getBoundingClientRect().top;
    var h = Math.max(300, Math.min(window.innerHeight - Math.max(top, 0) - 16, AXIS + contentHeight + 4));
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = w + "px";
    canvas.style.height = h + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    clampScroll();
    draw();
  }

  function clampScroll() {
    var max = Math.max(0, AXIS + contentHeight - height());
    scrollY = Math.min(Math.max(scrollY, 0), max);
  }

  function isMatch(s) { return search !== null && search.test(s.name); }

  function drawRow(it, top) {
    var w = width(), lastEnd = -1;
    var start = firstEndingAfter(it.slices, view.t0);
    for (var i = start; i < it.slices.length; i++) {
      var s = it.slices[i];
      if (s.ts > view.t1) break;
      var x0 = Math.max(GUTTER, xOf(s.ts)), x1 = Math.min(w, xOf(s.ts + s.dur));
      if (x1 - x0 < 1) x1 = x0 + 1;
      if (x1 <= lastEnd) continue; // this pixel is drawn already
      lastEnd = x1;
      var m = isMatch(s);
      if (it.lane === "state") ctx.fillStyle = stateColor(s.name);
      else if (m) ctx.fillStyle = "rgb(230,0,230)";
      else ctx.fillStyle = "hsl(" + hue(s.name) + "," + (it.lane === "spans" ? "45%,62%" : "65%,70%") + ")";
      ctx.globalAlpha = search !== null && !m && it.lane !== "state" ? 0.3 : 1;
      ctx.fillRect(x0, top, x1 - x0, it.h - 1);
      if (x1 - x0 > 28 && it.h >= ROW) {
        ctx.globalAlpha = 1;
        ctx.fillStyle = "#111";
        ctx.save();
        ctx.beginPath();
        ctx.rect(x0, top, x1 - x0 - 2, it.h);
        ctx.clip();
        ctx.fillText(s.name, x0 + 2, top + it.h - 3);
        ctx.restore();
      }
    }
    ctx.globalAlpha = 1;
  }

  function drawCounter(it, top) {
    var c = it.c, p = c.points, w = width();
    ctx.fillStyle = "#f4f6fa";
    ctx.fillRect(GUTTER, top, w - GUTTER, it.h);
    ctx.fillStyle = "rgba(40,90,170,.55)";
    ctx.beginPath();
    ctx.moveTo(GUTTER, top + it.h);
    var lastY = top + it.h;
    for (var i = 0; i + 1 < p.length; i += 2) {
      var x = Math.min(Math.max(xOf(p[i]), GUTTER), w);
      var y = top + it.h - (it.max > 0 ? p[i + 1] / it.max * (it.h - 4) : 0);
      ctx.lineTo(x, lastY);
      ctx.lineTo(x, y);
      lastY = y;
    }
    ctx.lineTo(w, lastY);
    ctx.lineTo(w, top + it.h);
    ctx.closePath();
    ctx.fill();
    ctx.fillStyle = "#222";
    ctx.fillText(c.name + " (" + c.key + ")", 4, top + 13);
    ctx.fillStyle = "#666";
    ctx.fillText("max " + fmtValue(it.max, c.key), 4, top + 27);
  }

  function drawHead(it, top) {
    var t = it.t, w = width();
    ctx.fillStyle = "#e8ebf2";
    ctx.fillRect(0, top, w, it.h);
    ctx.fillStyle = "#123";
    ctx.font = "bold 11px sans-serif";
    ctx.fillText(t.label, 4, top + 12);
    ctx.font = "11px sans-serif";
    // Lifetime: a bar from creation (or the start) to exit (or the end).
    var b = t.born === null ? 0 : t.born, e = t.exited === null ? D.duration : t.exited;
    var x0 = Math.max(GUTTER, xOf(b)), x1 = Math.min(w, xOf(e));
    if (x1 > x0) {
      ctx.fillStyle = "#cfd6e6";
      ctx.fillRect(x0, top + 6, x1 - x0, 4);
    }
    it.instants.forEach(function (inst) {
      var x = xOf(inst.ts);
      if (x < GUTTER || x > w) return;
      ctx.beginPath();
      if (inst.name === "thread created") {
        ctx.fillStyle = "#1a8a1a"; ctx.moveTo(x, top + 2); ctx.lineTo(x + 6, top + 8); ctx.lineTo(x, top + 14);
      } else if (inst.name === "thread exited") {
        ctx.fillStyle = "#c02020"; ctx.moveTo(x, top + 2); ctx.lineTo(x - 6, top + 8); ctx.lineTo(x, top + 14);
      } else {
        ctx.fillStyle = isMatch(inst) ? "rgb(230,0,230)" : "#6040a0";
        ctx.moveTo(x, top + 3); ctx.lineTo(x + 4, top + 8); ctx.lineTo(x, top + 13); ctx.lineTo(x - 4, top + 8);
      }
      ctx.closePath();
      ctx.fill();
    });
  }

  function niceStep(span) {
    var raw = span / 8, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }

  function drawAxis() {
    var w = width();
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, AXIS);
    ctx.strokeStyle = "#99a";
    ctx.beginPath();
    ctx.moveTo(0, AXIS - 0.5);
    ctx.lineTo(w, AXIS - 0.5);
    ctx.stroke();
    var step = niceStep(view.t1 - view.t0);
    ctx.fillStyle = "#333";
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var x = Math.round(xOf(t)) + 0.5;
      ctx.strokeStyle = "#99a";
      ctx.beginPath();
      ctx.moveTo(x, AXIS - 6);
      ctx.lineTo(x, AXIS);
      ctx.stroke();
      ctx.fillText(fmtTime(t), x + 2, 12);
    }
    ctx.fillText("time since the trace began", 4, 12);
  }

  function draw() {
    var w = width(), h = height();
    ctx.font = "11px sans-serif";
    ctx.clearRect(0, 0, w, h);
    for (var i = 0; i < items.length; i++) {
      var it = items[i], top = AXIS + it.y - scrollY;
      if (top + it.h < AXIS || top > h) continue;
      if (it.kind === "counter") drawCounter(it, top);
      else if (it.kind === "head") drawHead(it, top);
      else {
        if (it.depth === 0) {
          ctx.fillStyle = "#555";
          ctx.fillText(it.lane === "cpu" ? "CPU" : it.lane === "state" ? "state" : it.lane,
                       GUTTER - 40, top + it.h - 3);
        }
        drawRow(it, top);
      }
    }
    // grid lines under the axis, then the axis on top of everything
    drawAxis();
    ctx.strokeStyle = "#ccd";
    ctx.beginPath();
    ctx.moveTo(GUTTER - 0.5, AXIS);
    ctx.lineTo(GUTTER - 0.5, h);
    ctx.stroke();
    canvas.dataset.view = view.t0.toFixed(3) + "," + view.t1.toFixed(3);
    rangeText.textContent = fmtTime(view.t0) + " – " + fmtTime(view.t1) +
      " (" + fmtTime(view.t1 - view.t0) + " shown)";
  }

  // ---- zoom, pan, scroll ----------------------------------------------------------
  function setView(t0, t1) {
    var span = Math.max(t1 - t0, 1); // at least 1 µs
    var total = Math.max(D.duration, 1);
    if (span > total) span = total;
    t0 = Math.min(Math.max(t0, 0), total - span);
    view = { t0: t0, t1: t0 + span };
    draw();
  }
  function zoom(factor, at) {
    if (at === undefined) at = (view.t0 + view.t1) / 2;
    setView(at - (at - view.t0) * factor, at + (view.t1 - at) * factor);
  }

  canvas.addEventListener("wheel", function (e) {
    e.preventDefault();
    var rect = canvas.getBoundingClientRect(), x = e.clientX - rect.left;
    if (e.ctrlKey || e.metaKey) {
      zoom(Math.pow(1.0015, e.deltaY), x > GUTTER ? tOf(x) : undefined);
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      var d = e.deltaX || e.deltaY;
      setView(view.t0 + d / (width() - GUTTER) * (view.t1 - view.t0),
              view.t1 + d / (width() - GUTTER) * (view.t1 - view.t0));
    } else {
      scrollY += e.deltaY;
      clampScroll();
      draw();
    }
    hideTip();
  }, { passive: false });

  var drag = null;
  canvas.addEventListener("mousedown", function (e) {
    drag = { x: e.clientX, y: e.clientY, t0: view.t0, t1: view.t1, scroll: scrollY };
    canvas.classList.add("dragging");
  });
  window.addEventListener("mouseup", function () {
    drag = null;
    canvas.classList.remove("dragging");
  });

  // ---- hover ------------------------------------------------------------------------
  function hideTip() { tip.hidden = true; }

  // What is under canvas point (x, y): {it, s} (a slice or instant) or {it} (a counter).
  function hit(x, y) {
    if (y < AXIS) return null;
    var cy = y - AXIS + scrollY;
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      if (cy < it.y || cy >= it.y + it.h) continue;
      var t = tOf(x), slack = (view.t1 - view.t0) / (width() - GUTTER) * 3;
      if (it.kind === "counter") return x >= GUTTER ? { it: it, t: t } : null;
      if (it.kind === "head") {
        var best = null;
        it.instants.forEach(function (inst) {
          if (Math.abs(inst.ts - t) <= slack && (!best || Math.abs(inst.ts - t) < Math.abs(best.ts - t)))
            best = inst;
        });
        return best ? { it: it, s: best } : { it: it };
      }
      if (x < GUTTER) return null;
      var j = firstEndingAfter(it.slices, t - slack / 3);
      var s = it.slices[j];
      if (s && s.ts <= t + slack / 3) return { it: it, s: s };
      return null;
    }
    return null;
  }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  // The frames above a CPU slice (outermost last), from the rows above it.
  function stackOf(it, s) {
    var out = [], t = s.ts + s.dur / 2;
    for (var d = s.depth - 1; d >= 0 && out.length < 40; d--) {
      var row = it.rows[d], j = firstEndingAfter(row, t), p = row[j];
      if (p && p.ts <= t) out.push(p.name);
    }
    return out;
  }

  function showTip(e, h) {
    var html;
    if (h.it.kind === "counter") {
      var p = h.it.c.points, v = null;
      for (var i = 0; i + 1 < p.length && p[i] <= h.t; i += 2) v = p[i + 1];
      html = "<b>" + esc(h.it.c.name) + "</b>\n" + esc(h.it.c.key) + ": " +
        (v === null ? "no value yet" : esc(fmtValue(v, h.it.c.key))) + "\nat " + esc(fmtTime(h.t));
    } else if (!h.s) {
      var t = h.it.t;
      html = "<b>" + esc(t.label) + "</b>\n" +
        (t.born === null ? "from before the trace" : "created at " + esc(fmtTime(t.born))) + ", " +
        (t.exited === null ? "still running at its end" : "exited at " + esc(fmtTime(t.exited))) +
        "\non CPU " + esc(fmtTime(t.cpu));
    } else {
      var s = h.s;
      html = "<b>" + esc(s.name) + "</b>\n";
      if (s.dur !== undefined) html += "duration " + esc(fmtTime(s.dur)) + ", from " + esc(fmtTime(s.ts)) +
        " to " + esc(fmtTime(s.ts + s.dur)) + "\n";
      else html += "at " + esc(fmtTime(s.ts)) + "\n";
      html += "thread " + esc(h.it.t.label) + (h.it.lane ? ", " + esc(h.it.lane) : "") + "\n";
      if (s.args >= 0 && argsTable[s.args] !== undefined)
        html += "args " + esc(JSON.stringify(argsTable[s.args], null, 1).slice(0, 3000)) + "\n";
      if (h.it.lane === "cpu" && s.depth > 0) html += "called from\n  " + stackOf(h.it, s).map(esc).join("\n  ");
    }
    tip.innerHTML = html;
    tip.hidden = false;
    var rect = box.getBoundingClientRect();
    var x = e.clientX - rect.left + 14, y = e.clientY - rect.top + 14;
    if (x + tip.offsetWidth > box.clientWidth) x = Math.max(0, e.clientX - rect.left - tip.offsetWidth - 14);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }

  canvas.addEventListener("mousemove", function (e) {
    var rect = canvas.getBoundingClientRect();
    if (drag) {
      var dx = e.clientX - drag.x, per = (drag.t1 - drag.t0) / (width() - GUTTER);
      scrollY = drag.scroll - (e.clientY - drag.y);
      clampScroll();
      setView(drag.t0 - dx * per, drag.t1 - dx * per);
      hideTip();
      return;
    }
    var h = hit(e.clientX - rect.left, e.clientY - rect.top);
    if (h) showTip(e, h); else hideTip();
  });
  canvas.addEventListener("mouseleave", hideTip);

  // ---- search ------------------------------------------------------------------------
  function applySearch() {
    var q = searchBox.value;
    search = null;
    nMatches = 0;
    if (q) {
      try { search = new RegExp(q, "i"); } catch (err) { matched.textContent = "bad regexp"; draw(); return; }
      items.forEach(function (it) {
        if (it.kind === "row" && it.lane !== "state") it.slices.forEach(function (s) { if (search.test(s.name)) nMatches++; });
        if (it.kind === "head") it.instants.forEach(function (s) { if (search.test(s.name)) nMatches++; });
      });
    }
    matched.textContent = q ? nMatches + " matching" : "";
    canvas.dataset.matches = String(nMatches);
    draw();
  }
  searchBox.addEventListener("input", applySearch);

  document.getElementById("timeline-zoom-in").addEventListener("click", function () { zoom(0.5); });
  document.getElementById("timeline-zoom-out").addEventListener("click", function () { zoom(2); });
  document.getElementById("timeline-reset").addEventListener("click", function () { setView(0, D.duration); });
  window.addEventListener("resize", function () { if (D) resize(); });

  // ---- the thread list and what was left out ------------------------------------------
  function threadTable() {
    var body = document.querySelector("#timeline-threads tbody");
    D.threads.forEach(function (t) {
      var tr = document.createElement("tr");
      tr.dataset.tid = t.tid;
      [t.name, t.tid, t.born === null ? "before the trace" : fmtTime(t.born),
       t.exited === null ? "—" : fmtTime(t.exited), fmtTime(t.cpu)].forEach(function (v) {
        var td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      });
      tr.addEventListener("click", function () { scrollY = t.top; clampScroll(); draw(); canvas.scrollIntoView(); });
      body.appendChild(tr);
    });
    document.querySelector("#timeline-threads-box summary").textContent = "Threads (" + D.threads.length + ")";
  }

  function limitsNotice() {
    var L = D.limits, out = [];
    if (L.slices_sent < L.slices_total) {
      var why = L.time_cut !== null ? "only the outermost frames, up to " + fmtTime(L.time_cut)
              : "only the outermost " + (L.depth_cut + 1) + (L.depth_cut ? " levels" : " level") + " of frames";
      out.push("Showing " + L.slices_sent + " of " + L.slices_total + " slices (" + why +
               "): the trace is larger than the view draws. cprof trace summarizes all of it.");
    }
    if (L.threads_sent < L.threads_total) out.push("Showing " + L.threads_sent + " of " + L.threads_total + " threads.");
    if (L.instants_sent < L.instants_total) out.push("Showing " + L.instants_sent + " of " + L.instants_total + " instants.");
    if (L.args_dropped) out.push(L.args_dropped + " events' arguments left out (too large).");
    var el = document.getElementById("timeline-limits");
    if (out.length) { el.textContent = out.join(" "); el.hidden = false; }
  }

  // ---- for the tests: where a slice is drawn ----------------------------------------------
  // locate(nameRe, threadRe): the page coordinates of the middle of the first
  // visible slice whose name matches, on a thread whose label matches; or null.
  function locate(nameRe, threadRe) {
    var rect = canvas.getBoundingClientRect();
    var nr = new RegExp(nameRe), tr = new RegExp(threadRe || "");
    for (var i = 0; i < items.length; i++) {
      var it = items[i], top = AXIS + it.y - scrollY;
      if (it.kind !== "row" || !tr.test(it.t.label) || top < AXIS || top + it.h > height()) continue;
      for (var j = firstEndingAfter(it.slices, view.t0); j < it.slices.length; j++) {
        var s = it.slices[j];
        if (s.ts > view.t1) break;
        if (!nr.test(s.name)) continue;
        var x0 = Math.max(GUTTER, xOf(s.ts)), x1 = Math.min(width(), xOf(s.ts + s.dur));
        return { x: rect.left + (x0 + Math.max(x1, x0 + 1)) / 2, y: rect.top + top + it.h / 2, name: s.name };
      }
    }
    return null;
  }
  function scrollTo(threadRe) {
    var tr = new RegExp(threadRe);
    for (var i = 0; i < D.threads.length; i++)
      if (tr.test(D.threads[i].label)) { scrollY = D.threads[i].top; clampScroll(); draw(); return true; }
    return false;
  }

  fetch("/ui/timeline.json").then(function (r) {
    if (!r.ok) throw new Error("/ui/timeline.json: " + r.status);
    return r.json();
  }).then(function (data) {
    D = data;
    build();
    view = { t0: 0, t1: Math.max(D.duration, 1) };
    info.textContent = (D.process || "(process unnamed)") + ": " + fmtTime(D.duration) + ", " +
      D.threads.length + " threads, " + D.events + " events" + (D.comment ? ". " + D.comment : "");
    threadTable();
    limitsNotice();
    resize();
    applySearch();
    window.cprofTimeline = {
      view: function () { return [view.t0, view.t1]; },
      threads: function () { return D.threads.map(function (t) { return { tid: t.tid, label: t.label, born: t.born }; }); },
      locate: locate,
      scrollTo: scrollTo,
      matches: function () { return nMatches; },
    };
    canvas.dataset.ready = "1";
  }).catch(function (err) {
    info.textContent = "Cannot show the timeline: " + err.message;
    info.classList.add("error");
  });
})();

// The cprof web UI in a real browser (Debian's headless Chromium, driven by
// playwright-core), against servers started by tests/integration/cprof_web.sh:
//   MAIN_URL     cprof -http on a Go heap profile (four sample types)
//   DIFF_URL     cprof -http -diff_base on two Go CPU profiles
//   DEEP_URL     cprof -http -nodecount=0 on a 60-function call chain
//   REFRESH_URL  cprof -http on a URL whose profile the script replaces:
//                SERVED_FILE is what the URL serves, NEXT_PROFILE its next content
//   ARTIFACTS    where screenshots go
// Prints one "ok ..." line per check; any failure throws (exit status 1).
import assert from "node:assert/strict";
import fs from "node:fs";
import { env, launch } from "./browser.mjs";

const MAIN = env("MAIN_URL"), DIFF = env("DIFF_URL"), REFRESH = env("REFRESH_URL");
const DEEP = env("DEEP_URL");
const ARTIFACTS = env("ARTIFACTS");
// Console errors are failures too, but for the one 400 the test asks for (a bad regexp).
const { browser, page, jsErrors, ok, shot } = await launch(ARTIFACTS, /status of 400 \(Bad Request\)/);

async function open(url, status = 200) {
  const resp = await page.goto(url);
  assert.equal(resp.status(), status, `${url}: status`);
  return resp;
}

// The top table's rows, in the order shown.
const rows = () => page.$$eval("#top tbody tr", (trs) => trs.map((tr) => ({
  name: tr.dataset.name, flat: Number(tr.dataset.flat), cum: Number(tr.dataset.cum),
  cells: Array.from(tr.cells, (c) => c.textContent),
})));

// Submit a form and wait for the page it leads to; returns that response.
async function submit(click) {
  const [resp] = await Promise.all([page.waitForNavigation(), click()]);
  return resp;
}

// ---- top: load, sort ------------------------------------------------------
await open(MAIN + "/ui/");
let before = await rows();
assert.ok(before.length >= 3, "top has rows");
for (let i = 1; i < before.length; i++)
  assert.ok(Math.abs(before[i - 1].flat) >= Math.abs(before[i].flat), "served in flat order");
assert.match(await page.textContent("#legend"), /Type: alloc_space/);
ok(`top view: ${before.length} rows, heaviest ${before[0].name}`);
await shot("top.png");

await page.click("th:has-text('cum%')");
let sorted = await rows();
for (let i = 1; i < sorted.length; i++)
  assert.ok(sorted[i - 1].cum >= sorted[i].cum, "cum descending");
assert.equal(sorted[0].cells[2], sorted[0].cells[1], "sum% restarts with the first row shown");
await page.click("th:has-text('cum%')");
sorted = await rows();
for (let i = 1; i < sorted.length; i++)
  assert.ok(sorted[i - 1].cum <= sorted[i].cum, "cum ascending after a second click");
await page.click("th:has-text('name')");
sorted = await rows();
for (let i = 1; i < sorted.length; i++)
  assert.ok(sorted[i - 1].name <= sorted[i].name, "names ascending");
assert.equal(sorted.length, before.length);
ok("top sorts by cum (both ways) and by name");

// ---- sample type switch -----------------------------------------------------
const totalBefore = await page.getAttribute("#top", "data-total");
await submit(() => page.selectOption("#si", "alloc_objects"));
assert.match(page.url(), /si=alloc_objects/);
assert.match(await page.textContent("#legend"), /Type: alloc_objects/);
const totalAfter = await page.getAttribute("#top", "data-total");
assert.notEqual(totalAfter, totalBefore, "total changes with the sample type");
const after = await rows();
assert.notDeepEqual(after.map((r) => r.cells[0]), before.map((r) => r.cells[0]));
assert.equal(await page.$eval("#si", (s) => s.value), "alloc_objects");
ok(`sample type switch: total ${totalBefore} bytes -> ${totalAfter} objects`);

// ---- a bad regexp in the form: 400 and the reason on the page -------------
await page.fill("#q-f", "(unclosed");
const bad = await submit(() => page.click("#apply"));
assert.equal(bad.status(), 400);
assert.match(await page.textContent("#error"), /parsing focus regexp \(unclosed: /);
assert.equal(await page.inputValue("#q-f"), "(unclosed", "the bad value stays editable");
ok("bad regexp: 400, reason shown");
await shot("bad-regexp.png");

// ---- flame graph: zoom, reset, search ---------------------------------------
await open(MAIN + "/ui/?si=alloc_space");
const fieldsFuncCum = (await rows()).find((r) => r.name === "strings.FieldsFunc").cells[4].trim();
await Promise.all([page.waitForNavigation(), page.click("#nav-flamegraph")]);
assert.match(page.url(), /\/ui\/flamegraph\?si=alloc_space/);
const frames = await page.$$eval("#flame g[data-value] > rect", (rs) => rs.length);
assert.ok(frames > 5, "flame graph has frames");
// A frame well inside the graph: not the root, narrower than the width.
const pick = await page.$$eval("#flame g[data-value]", (gs) => {
  const i = gs.findIndex((g, k) => {
    const w = Number(g.querySelector(":scope > rect").getAttribute("width"));
    return k > 0 && w > 60 && w < 900 && g.querySelector(":scope > g[data-value]");
  });
  return i;
});
assert.ok(pick > 0, "a frame to zoom into");
const target = page.locator("#flame g[data-value]").nth(pick);
const rect = target.locator(":scope > rect");
const widthBefore = Number(await rect.getAttribute("width"));
await rect.click();
const widthZoomed = Number(await rect.getAttribute("width"));
assert.equal(widthZoomed, 1180, `zoomed frame spans the width (was ${widthBefore})`);
assert.equal(Number(await rect.getAttribute("x")), 10);
assert.ok(await target.evaluate((g) => g.classList.contains("zoomed")));
const hidden = await page.$$eval("#flame g[data-value]", (gs) =>
  gs.filter((g) => g.style.display === "none").length);
assert.ok(hidden > 0, "frames outside the zoomed one are hidden");
const label = await target.locator(":scope > text").textContent();
assert.ok(label.length > 3, "the zoomed frame is labelled");
ok(`flame graph: click zooms (${widthBefore.toFixed(1)} -> 1180 px, ${hidden} frames hidden)`);
await shot("flame-zoom.png");
await page.click("#flame-reset");
assert.equal(Number(await rect.getAttribute("width")), widthBefore, "reset restores the frame");
ok("flame graph: reset");

await page.fill("#flame-search", "^strings\\.FieldsFunc$");
const matches = await page.$$eval("#flame g.match", (gs) => gs.length);
assert.ok(matches > 0, "search highlights frames");
const fill = await page.$eval("#flame g.match > rect", (r) => getComputedStyle(r).fill);
assert.equal(fill, "rgb(230, 0, 230)", "highlight colour");
const matchedText = await page.textContent("#flame-matched");
const m = /^Matched: ([0-9.]+)%$/.exec(matchedText);
assert.ok(m, `matched text: ${matchedText}`);
// The flame graph's share of a function equals its cum% in top (same
// samples, nothing filtered); frames under 0.1 px are not drawn.
assert.ok(Math.abs(Number(m[1]) - parseFloat(fieldsFuncCum)) < 0.05,
  `matched ${m[1]}% vs top cum ${fieldsFuncCum}`);
ok(`flame graph: search highlights ${matches} frames, ${matchedText} (top cum ${fieldsFuncCum})`);
await shot("flame-search.png");
await page.hover("#flame g.match > rect");
assert.match(await page.textContent("#flame-detail"), /^strings\.FieldsFunc \(/);
ok("flame graph: hover shows the frame's details");

// ---- call graph: opens fitted and centred, pan, zoom, click ---------------
await Promise.all([page.waitForNavigation(), page.click("#nav-graph")]);
await page.waitForSelector("#graph[data-ready]");
const nodes = await page.$$eval("#graph svg g.node", (ns) => ns.length);
const allNames = await page.$$eval("#graph g.node[data-name]", (gs) => gs.map((g) => g.dataset.name));
assert.ok(allNames.includes("strings.Fields"), `the graph has FieldsFunc's callers: ${allNames}`);
assert.ok(nodes > 3, "graphviz nodes");
assert.match(await page.textContent("#graph svg"), /FieldsFunc/);
assert.ok(await page.$("#graph svg g.edge"), "graphviz edges");
// The whole drawing (legend included) inside the visible box, centred.
const layout = () => page.evaluate(() => {
  const box = document.getElementById("graph").getBoundingClientRect();
  const drawn = document.querySelector("#graph svg g.graph").getBoundingClientRect();
  const legend = document.querySelector("#graph svg g.cluster").getBoundingClientRect();
  const node = document.querySelector("#graph svg g.node[data-name]").getBoundingClientRect();
  const r = (b) => ({ left: b.left, right: b.right, top: b.top, bottom: b.bottom, width: b.width });
  return { box: r(box), drawn: r(drawn), legend: r(legend), node: r(node),
           innerHeight: window.innerHeight };
});
let g0 = await layout();
assert.ok(g0.box.bottom <= g0.innerHeight + 1, `graph box within the window: ${JSON.stringify(g0.box)}`);
for (const k of ["drawn", "legend"]) {
  assert.ok(g0[k].left >= g0.box.left - 1 && g0[k].right <= g0.box.right + 1 &&
            g0[k].top >= g0.box.top - 1 && g0[k].bottom <= g0.box.bottom + 1,
            `${k} inside the box: ${JSON.stringify(g0[k])} in ${JSON.stringify(g0.box)}`);
}
const gaps = [g0.drawn.left - g0.box.left, g0.box.right - g0.drawn.right,
              g0.drawn.top - g0.box.top, g0.box.bottom - g0.drawn.bottom];
assert.ok(Math.abs(gaps[0] - gaps[1]) < 3 || Math.abs(gaps[2] - gaps[3]) < 3, `centred: ${gaps}`);
assert.ok(Math.min(gaps[0] + gaps[1], gaps[2] + gaps[3]) < 3, `fitted (touches two sides): ${gaps}`);
ok(`call graph: ${nodes} nodes, opens fitted and centred (${g0.drawn.width.toFixed(0)} px in ${g0.box.width.toFixed(0)})`);
await shot("graph.png");
await page.click("#graph-zoom-in");
let g1 = await layout();
assert.ok(Math.abs(g1.node.width / g0.node.width - 1.25) < 0.02, `zoom in: ${g0.node.width} -> ${g1.node.width}`);
await page.click("#graph-zoom-out");
g1 = await layout();
assert.ok(Math.abs(g1.node.width - g0.node.width) < 0.5, "zoom out undoes zoom in");
// The wheel zooms around the pointer: the point under it stays put.
const cx = g0.node.left + g0.node.width / 2, cy = g0.node.top + 5;
await page.mouse.move(cx, cy);
await page.mouse.wheel(0, -300);
await page.waitForFunction((w) => document.querySelector("#graph svg g.node[data-name]")
  .getBoundingClientRect().width > w * 1.2, g0.node.width);
g1 = await layout();
assert.ok(Math.abs(g1.node.left + g1.node.width / 2 - cx) < 3, "wheel zoom keeps the node under the pointer");
ok(`call graph: buttons and wheel zoom (${g0.node.width.toFixed(0)} -> ${g1.node.width.toFixed(0)} px)`);
// A drag pans by what the pointer moved.
await page.mouse.move(g0.box.left + 50, g0.box.top + 50);
await page.mouse.down();
await page.mouse.move(g0.box.left + 150, g0.box.top + 90, { steps: 5 });
await page.mouse.up();
const g2 = await layout();
assert.ok(Math.abs(g2.node.left - g1.node.left - 100) < 2 && Math.abs(g2.node.top - g1.node.top - 40) < 2,
  `drag pans: ${g1.node.left},${g1.node.top} -> ${g2.node.left},${g2.node.top}`);
assert.equal(await page.$("#refine"), null, "a drag is not a click");
ok("call graph: drag pans");
await page.click("#graph-fit");
const g3 = await layout();
assert.ok(Math.abs(g3.drawn.left - g0.drawn.left) < 1 && Math.abs(g3.drawn.width - g0.drawn.width) < 1, "Fit again");
// A click on a node: selected, and the refine menu for its function.
const fieldsNode = page.locator("#graph g.node[data-name='strings.FieldsFunc']");
await fieldsNode.locator("polygon").first().click();
assert.ok(await fieldsNode.evaluate((g) => g.classList.contains("selected")));
assert.equal(await page.textContent("#refine .refine-name"), "strings.FieldsFunc");
await shot("graph-refine.png");
await Promise.all([page.waitForNavigation(), page.click("#refine-show_from")]);
assert.match(page.url(), /\/ui\/graph\?si=alloc_space&sf=%5Estrings%5C.FieldsFunc%24$/);
assert.equal(await page.inputValue("#q-sf"), "^strings\\.FieldsFunc$", "show_from in the page");
await page.waitForSelector("#graph[data-ready]");
const sfNames = await page.$$eval("#graph g.node[data-name]", (gs) => gs.map((g) => g.dataset.name));
assert.ok(!sfNames.includes("strings.Fields"), `show_from drops the callers: ${sfNames}`);
assert.ok(sfNames.includes("strings.FieldsFunc"));
ok(`call graph: click opens the refine menu; show_from leaves ${sfNames.length} nodes`);
// Search highlights graph nodes.
await page.fill("#search", "FieldsFunc");
const gm = await page.$$eval("#graph g.node.match", (gs) => gs.map((g) => g.dataset.name));
assert.deepEqual(gm, ["strings.FieldsFunc"]);
assert.equal(await page.$eval("#graph g.node.match polygon", (p) => getComputedStyle(p).fill), "rgb(230, 0, 230)");
ok("call graph: search highlights the matching node");

// A graph too tall to read fitted: a readable scale, centred on the root
// (f0, the chain's top), near the top of the box.
await open(DEEP + "/ui/graph");
await page.waitForSelector("#graph[data-ready]");
const tall = await page.evaluate(() => {
  const box = document.getElementById("graph").getBoundingClientRect();
  const root = document.querySelector("#graph g.node[data-name='f0'] polygon").getBoundingClientRect();
  const drawn = document.querySelector("#graph svg g.graph").getBoundingClientRect();
  return { box: { left: box.left, top: box.top, width: box.width, height: box.height },
           root: { x: root.left + root.width / 2, top: root.top, h: root.height }, drawnH: drawn.height };
});
assert.ok(tall.drawnH > tall.box.height * 2, `taller than the box: ${tall.drawnH} vs ${tall.box.height}`);
assert.ok(Math.abs(tall.root.x - (tall.box.left + tall.box.width / 2)) < 3, `root centred: ${JSON.stringify(tall)}`);
assert.ok(tall.root.top > tall.box.top && tall.root.top < tall.box.top + 60, `root near the top: ${JSON.stringify(tall)}`);
assert.ok(tall.root.h >= 12, `readable: root ${tall.root.h} px high`);
ok(`call graph: a ${tall.drawnH.toFixed(0)} px tall graph opens centred on its root`);
await shot("graph-tall.png");

// ---- refine menu from top: focus, ignore (added), the regexp as the server's --
await open(MAIN + "/ui/?si=alloc_space&i=%5Enothing%24");
// The menu's regexp is the server's regex_quote for every function (the
// source link's f).
const mismatch = await page.$$eval("#top tbody tr", (trs) => trs.map((tr) => {
  const href = new URL(tr.querySelector("a").href);
  return [href.searchParams.get("f"), exactRegexp(tr.dataset.name)];
}).filter((p) => p[0] !== p[1]));
assert.deepEqual(mismatch, [], "refine regexps equal the server's");
const victim = (await rows()).find((r) => r.name !== "strings.FieldsFunc" && r.name !== "strings.Fields");
await page.click(`#top tbody tr[data-name='${victim.name}'] td:first-child`);
assert.equal(await page.textContent("#refine .refine-name"), victim.name);
await shot("top-refine.png");
await Promise.all([page.waitForNavigation(), page.click("#refine-ignore")]);
const ign = new URL(page.url()).searchParams;
assert.equal(ign.get("i"), "^nothing$|" + (await page.evaluate((n) => exactRegexp(n), victim.name)));
assert.equal(ign.get("si"), "alloc_space");
assert.ok(!(await rows()).some((r) => r.name === victim.name), `${victim.name} ignored`);
await page.click("#top tbody tr[data-name='strings.FieldsFunc'] td:nth-child(2)");
await Promise.all([page.waitForNavigation(), page.click("#refine-focus")]);
assert.equal(new URL(page.url()).searchParams.get("f"), "^strings\\.FieldsFunc$");
assert.equal(await page.inputValue("#q-f"), "^strings\\.FieldsFunc$");
assert.equal(await page.inputValue("#q-i"), ign.get("i"), "earlier refinements stay");
const focused = await rows();
assert.match(await page.textContent("#legend"), /focus=\^strings\\\.FieldsFunc\$/, "the legend names the focus");
const ffCum = focused.find((r) => r.name === "strings.FieldsFunc").cum;
assert.ok(focused.every((r) => r.flat <= ffCum), "focused: every sample goes through strings.FieldsFunc");
ok(`refine from top: ignore ${victim.name} (added to i), focus strings.FieldsFunc`);
// Search highlights top rows.
await page.fill("#search", "^strings\\.");
const tm = await page.$$eval("#top tr.match", (trs) => trs.map((t) => t.dataset.name));
assert.ok(tm.length > 0 && tm.every((n) => n.startsWith("strings.")), `top search: ${tm}`);
assert.equal(tm.length, focused.filter((r) => r.name.startsWith("strings.")).length);
ok(`top: search highlights ${tm.length} rows`);
// Download: the filtered profile, as this page's URL filters it.
const params = (u) => Object.fromEntries(new URL(u).searchParams);
assert.deepEqual(params(await page.$eval("#download", (a) => a.href)), params(page.url()));
const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
assert.equal(dl.suggestedFilename(), "profile.pb.gz");
const dlBytes = fs.readFileSync(await dl.path());
assert.ok(dlBytes.length > 100 && dlBytes[0] === 0x1f && dlBytes[1] === 0x8b, "a gzipped profile");
ok(`download: profile.pb.gz, ${dlBytes.length} bytes, with the page's filters`);

// ---- peek: callers and callees --------------------------------------------------
await open(MAIN + "/ui/?si=alloc_space");
await page.click("#top tbody tr[data-name='strings.Fields'] td:first-child");
await Promise.all([page.waitForNavigation(), page.click("#refine-peek")]);
assert.match(page.url(), /\/ui\/peek\?si=alloc_space&f=%5Estrings%5C.Fields%24$/);
const peek = await page.textContent("#peek");
assert.match(peek, /flat%\s+sum%\s+cum\s+cum%\s+calls calls% \+ context/);
assert.match(peek, /\|\s+strings\.Fields\n/);
assert.match(peek, /strings\.FieldsFunc/);
await page.fill("#search", "FieldsFunc");
assert.ok((await page.$$eval("#peek span.match", (s) => s.length)) > 0, "peek: search highlights lines");
ok("peek view: callers and callees of strings.Fields");
await shot("peek.png");

// ---- source view, from a function in top ------------------------------------
await Promise.all([page.waitForNavigation(), page.click("#nav-top")]);
await Promise.all([page.waitForNavigation(),
  page.click("#top a:text-is('strings.Fields')")]);
assert.match(page.url(), /\/ui\/source\?f=%5Estrings%5C\.Fields%24/);
// the weblist: the function, its file, its lines with weights (the Go
// test binary is gone: lines from the profile, no instructions)
assert.equal(await page.textContent("#source h2"), "strings.Fields");
assert.match(await page.textContent("#source p.filename"), /strings\.go$/);
const hot = await page.$$eval("#source .livesrc, #source .deadsrc", (s) =>
  s.filter((x) => !/^\s+\.\s+\.\s/.test(x.textContent)).length);
assert.ok(hot > 0, "lines with weights");
ok(`source view: strings.Fields, ${hot} sampled lines`);
await shot("source.png");
await page.fill("#search", "FieldsFunc");
const sm = await page.$$eval("#source span.match", (s) => s.map((x) => x.textContent));
assert.ok(sm.length > 0 && sm.every((t) => /FieldsFunc/.test(t)), `source search: ${sm}`);
ok(`source view: search highlights ${sm.length} lines`);

// ---- diff flame graph: red and green ------------------------------------------
await open(DIFF + "/ui/flamegraph");
const colours = await page.$$eval("#flame g[data-value] > rect", (rs) =>
  rs.map((r) => r.getAttribute("fill")));
const red = colours.filter((c) => /^rgb\(255,(\d+),\1\)$/.test(c) && c !== "rgb(255,230,230)");
const green = colours.filter((c) => /^rgb\((\d+),255,\1\)$/.test(c) && c !== "rgb(230,255,230)");
assert.ok(red.length > 0 && green.length > 0, `diff colours: ${red.length} red, ${green.length} green`);
assert.match(await page.textContent("#flame svg"), /red: grew, green: shrank/);
ok(`diff flame graph: ${red.length} red, ${green.length} green frames`);
// Hover text: a signed value and a signed percentage, both ways.
const diffFrames = await page.$$eval("#flame g[data-grown]", (gs) => gs.map((g) => ({
  net: Number(g.dataset.grown) - Number(g.dataset.shrunk),
  title: g.querySelector(":scope > title").textContent })));
const shrank = diffFrames.filter((f) => f.net < 0), grew = diffFrames.filter((f) => f.net > 0);
assert.ok(shrank.length > 0 && grew.length > 0, "frames that shrank and grew");
for (const f of shrank)
  assert.match(f.title, / \(-[^,(]+, -[0-9.]+%; grew /, "shrinking frame's title");
for (const f of grew)
  assert.match(f.title, / \(\+[^,(]+, \+[0-9.]+%; grew /, "growing frame's title");
ok(`diff flame graph: ${shrank.length} shrinking titles read -x%, ${grew.length} growing +x% (${shrank[0].title})`);
await shot("flame-diff.png");

// ---- saved configurations: save, open from another page, delete ------------
await open(MAIN + "/ui/graph?si=alloc_objects&h=%5Estrings%5C.Split%24");
page.once("dialog", (d) => d.accept("no split"));
await Promise.all([page.waitForNavigation(), page.click("#config-save")]);
assert.match(page.url(), /\/ui\/graph\?si=alloc_objects&h=%5Estrings%5C.Split%24$/, "back on the same view");
const cfg = () => page.$$eval("#config option", (os) => os.map((o) => [o.textContent, o.value, o.selected]));
const savedCfg = (await cfg()).find((o) => o[0] === "no split");
assert.deepEqual(savedCfg, ["no split", "si=alloc_objects&h=%5Estrings%5C.Split%24", true]);
await open(MAIN + "/ui/");
await Promise.all([page.waitForNavigation(), page.selectOption("#config", { label: "no split" })]);
assert.match(page.url(), /\/ui\/\?si=alloc_objects&h=%5Estrings%5C.Split%24$/);
assert.equal(await page.inputValue("#q-h"), "^strings\\.Split$");
ok("saved configuration: saved from the graph, opened on top");
await Promise.all([page.waitForNavigation(), page.click("#config-delete")]);
assert.ok(!(await cfg()).some((o) => o[0] === "no split"), "deleted");
ok("saved configuration: deleted");

// ---- refresh re-fetches the URL source -----------------------------------------
await open(REFRESH + "/ui/flamegraph?si=alloc_space");
const rootBefore = await page.getAttribute("#flame g[data-value]", "data-value");
fs.copyFileSync(env("NEXT_PROFILE"), env("SERVED_FILE"));
await Promise.all([page.waitForNavigation(), page.click("#refresh")]);
assert.match(page.url(), /\/ui\/flamegraph\?si=alloc_space$/, "back on the same view");
const rootAfter = await page.getAttribute("#flame g[data-value]", "data-value");
assert.notEqual(rootAfter, rootBefore, "refresh shows the new profile");
assert.equal(await page.$("#notice"), null, "no failure notice");
ok(`refresh: root ${rootBefore} -> ${rootAfter}`);
await shot("refreshed.png");

assert.deepEqual(jsErrors, [], "no JavaScript errors");
ok("no JavaScript errors");
await browser.close();
